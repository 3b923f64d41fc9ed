"""`registry bench`: the registry's speed, measured beside baselines in the same run.

Every figure that has a target is either a rate on work whose size is fixed
(5,000 workers, a whole log) or a ratio against a baseline measured a moment
before on the same machine: the bare `eventsourcing` library doing the same
writes or reads, or the server's own `/health` through the same client. See
docs/performance.md for what each figure means and what limits it.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from registry.entrypoints.bench import (
    access_measures,
    correction_measures,
    intake_measures,
    ledger_measures,
    measures,
    national,
    ops_measures,
    privacy_measures,
    rounds,
    ui_measures,
)
from registry.entrypoints.bench.harness import BenchError, fresh_store

__all__ = ["BenchError", "TARGETS", "national_scale", "run", "table"]

# key: (at least or at most, target) on the 2-core reference machine, SQLite; a figure
# measured in rounds (registry/entrypoints/bench/rounds.py) meets it in its median.
TARGETS: dict[str, tuple[str, float]] = {
    "bulk_enroll_5000_s": ("<=", 1.5),
    "bulk_enroll_ratio": (">=", 0.7),
    "single_enroll_per_s": (">=", 1000),
    "single_enroll_p99_ms": ("<=", 25),
    "read_ratio": (">=", 0.8),
    "read_p99_ms": ("<=", 10),
    "replay_ratio": (">=", 0.5),
    "verify_events_per_s": (">=", 100_000),
    "scale_latency_ratio": ("<=", 2),
    "checkpoint_ms": ("<=", 50),
    "proof_p99_ms": ("<=", 20),
    "tree_verify_events_per_s": (">=", 100_000),
    "ui_p95_ms": ("<=", 200),
    "ui_large_p95_ms": ("<=", 300),
}
SHOWN: tuple[tuple[str, str], ...] = (
    ("bulk_enroll_5000_s", "5,000-worker batch via registry serve (s)"),
    ("library_bulk_5000_s", "  library saving the same events (s)"),
    ("bulk_enroll_ratio", "  ratio: registry rate / library rate"),
    ("tree_bulk_share", "  the Merkle tree's share of the batch"),
    ("single_enroll_per_s", "single enrollments/s, 8 clients"),
    ("single_enroll_p99_ms", "  p99 latency (ms)"),
    ("coverage_per_s", "coverage look-ups/s, 8 clients"),
    ("health_per_s", "  GET /health/s, same clients"),
    ("read_ratio", "  ratio: look-ups / health"),
    ("read_p99_ms", "  look-up p99 latency (ms)"),
    ("bare_per_s", "floor: a bare Flask app under gunicorn, req/s"),
    ("bare_p99_ms", "  its p99 latency, same clients (ms)"),
    ("scale_p50_small_ms", "look-up p50 with 10,000 events (ms)"),
    ("scale_p50_large_ms", "  with the large log (ms)"),
    ("scale_latency_ratio", "  ratio: large / small"),
    ("replay_events_per_s", "full replay, events/s"),
    ("decode_events_per_s", "  library decoding the log, events/s"),
    ("replay_ratio", "  ratio: replay / decode"),
    ("replay_shared_ratio", "  ratio, shared by two processes (--jobs 2)"),
    ("verify_events_per_s", "verify, events/s"),
    ("checkpoint_ms", "signed checkpoint, large log (ms)"),
    ("proof_p99_ms", "inclusion proof p99, 8 clients (ms)"),
    ("proof_per_s", "  proofs/s"),
    ("tree_verify_events_per_s", "Merkle tree check, events/s"),
    ("ui_p95_ms", "pages under /ui/, demo log: p95 (ms)"),
    ("ui_health_p95_ms", "  GET /health p95, same client (ms)"),
    ("ui_pages_missing", "  pages that answered 404 (not timed)"),
    ("ui_large_p95_ms", "worker and check pages, large log: p95 (ms)"),
    ("ui_large_events", "  events in that log"),
    ("ui_large_health_p95_ms", "  GET /health p95, same client (ms)"),
)

# Corrections with a preview (registry/entrypoints/bench/correction_measures.py).
TARGETS.update(correction_measures.TARGETS)
SHOWN += correction_measures.SHOWN
# /audit/integrity from the last check (registry/entrypoints/bench/ops_measures.py).
SHOWN += ops_measures.SHOWN
# Files as agencies send them (registry/entrypoints/bench/intake_measures.py).
TARGETS.update(intake_measures.TARGETS)
SHOWN += intake_measures.SHOWN
# The contributions ledger (registry/entrypoints/bench/ledger_measures.py).
TARGETS.update(ledger_measures.TARGETS)
SHOWN += ledger_measures.SHOWN
# The access log's cost to coverage reads (registry/entrypoints/bench/access_measures.py).
TARGETS.update(access_measures.TARGETS)
SHOWN += access_measures.SHOWN
# Erasure of personal data (registry/entrypoints/bench/privacy_measures.py).
TARGETS.update(privacy_measures.TARGETS)
SHOWN += privacy_measures.SHOWN


def _header(engine: str, quick: bool) -> dict[str, Any]:
    return {"engine": engine, "quick": quick,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "platform": platform.platform()}}


def run(*, quick: bool, engine: str, postgres_url: str,
        say: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Measure everything on fresh stores of `engine`; returns the figures."""
    began = time.perf_counter()
    figures = _header(engine, quick)
    with phase("writes and reads through registry serve"), \
            fresh_store(engine, postgres_url) as store, \
            fresh_store(engine, postgres_url) as library_store:
        figures.update(measures.bulk_and_traffic(store, library_store, quick, say))
    with phase("pages on the demo log"), fresh_store(engine, postgres_url) as store:
        figures.update(ui_measures.demo_pages(store, quick, say))
    with phase("the large log"), fresh_store(engine, postgres_url) as store:
        figures.update(measures.scale(store, quick, say))
    with phase("files as agencies send them"):
        figures.update(intake_measures.files(lambda: fresh_store(engine, postgres_url),
                                             quick, say))
    with phase("the access log's cost to coverage reads"), \
            fresh_store(engine, postgres_url) as store:
        figures.update(access_measures.overhead(store, quick, say))
    figures["seconds"] = time.perf_counter() - began
    figures["targets_met"] = all(met(k, figures[k]) for k in TARGETS if k in figures)
    return figures


@contextmanager
def phase(name: str) -> Iterator[None]:
    """A phase that met an error fails the whole run, saying which phase it was:
    its figures would not measure what they claim."""
    try:
        yield
    except BenchError as e:
        raise BenchError(f"the bench failed in its phase '{name}': {e}") from None


def national_scale(events: int, *, engine: str, postgres_url: str, keep: bool = False,
                   say: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """`--scale N`: a store of N events shaped like a national rollout
    (registry/entrypoints/bench/national.py); returns the figures. With `keep`,
    the store is left in place and its URL is among the figures."""
    began = time.perf_counter()
    figures = _header(engine, False)
    with fresh_store(engine, postgres_url, keep=keep) as store:
        if keep:
            figures["store_url"] = store.url
            say(f"national: the store is kept: {store.url}")
        figures.update(national.run(store, events, say))
    figures["seconds"] = time.perf_counter() - began
    figures["targets_met"] = all(met(k, figures[k], national.TARGETS)
                                 for k in national.TARGETS if k in figures)
    return figures


def met(key: str, value: float, targets: dict[str, tuple[str, float]] = TARGETS) -> bool:
    way, target = targets[key]
    return value >= target if way == ">=" else value <= target


def _number(value: float) -> str:
    if isinstance(value, int):  # counts: 0 pages, 100,000 events
        return f"{value:,}"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def table(figures: dict[str, Any]) -> str:
    """The figures as a table, with each target and whether this run met it."""
    national_run = "scale_events" in figures
    shown, targets = (national.SHOWN, national.TARGETS) if national_run else (SHOWN, TARGETS)
    lines = [f"registry bench ({figures['engine']}{', quick' if figures['quick'] else ''}, "
             f"{figures['machine']['cpus']} CPUs, {figures['seconds']:.0f} s)",
             f"figures measured in {rounds.ROUNDS} rounds: the median (min-max)", ""]
    width = max(len(label) for _, label in shown)
    for key, label in shown:
        if key not in figures:
            continue
        value = _number(figures[key])
        low_high = rounds.spread(figures, key)
        value += f" ({_number(low_high[0])}-{_number(low_high[1])})" if low_high else ""
        target = ""
        if key in targets:
            way, goal = targets[key]
            verdict = "met" if met(key, figures[key], targets) else "MISSED"
            target = f"target {way} {_number(goal)}  {verdict}"
        lines.append(f"{label:<{width}}  {value:>24}  {target}")
    return "\n".join(lines)


def write_json(figures: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
