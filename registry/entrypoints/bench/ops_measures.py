"""`GET /audit/integrity` after a first full check: its cost at 10,000 events and at the
large log, with the same few events written since (registry/audit/incremental.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from registry.audit.incremental import audit_since_verified
from registry.entrypoints.bench import workload
from registry.entrypoints.bench.harness import BenchError

NEW_EVENTS = 200  # written between the full check and the timed one
ROUNDS = 3

SHOWN: tuple[tuple[str, str], ...] = (
    ("integrity_incremental_small_ms", "integrity check since the last, 10,000 events (ms)"),
    ("integrity_incremental_large_ms", "  with the large log (ms)"),
    ("integrity_incremental_ratio", "  ratio: large / small"),
)


def integrity_since(registry: Any, size: str, next_worker: int,
                    say: Callable[[str], None]) -> tuple[dict[str, Any], int]:
    """A full check, then ROUNDS times NEW_EVENTS more events and a check from the
    last: the best round. Returns the figure and the next unused worker."""
    say(f"integrity: a full check of {registry.app.head_position():,} events, then "
        f"{NEW_EVENTS} more and a check of those, {ROUNDS} times")
    best = float("inf")
    _checked(registry, full=True)
    for _ in range(ROUNDS):
        next_worker = workload.grow(registry.app, registry.app.head_position() + NEW_EVENTS,
                                    first_worker=next_worker)
        began = time.perf_counter()
        found = _checked(registry, full=False)
        best = min(best, (time.perf_counter() - began) * 1000)
        if found["from_position"] == 0:
            raise BenchError("the check after a full one read the whole log again")
    return {f"integrity_incremental_{size}_ms": best}, next_worker


def ratio(figures: dict[str, Any]) -> dict[str, Any]:
    small, large = (figures.get(f"integrity_incremental_{s}_ms") for s in ("small", "large"))
    return {"integrity_incremental_ratio": large / small} if small and large else {}


def _checked(registry: Any, *, full: bool) -> dict[str, Any]:
    found = audit_since_verified(registry, full=full)
    if not found["ok"]:
        raise BenchError(f"the integrity check found the benchmark's own log broken: {found}")
    return found
