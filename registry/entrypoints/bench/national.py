"""`registry bench --scale N`: a national-scale store, and what reads cost in it.

Fills a fresh store (PostgreSQL is the engine for this) with N events shaped
like a national rollout: 514 regencies and cities, one agreement for about
every 5,000 events (2,000 agreements at 10,000,000), each enrolling its
workers in one batch through the application service, the read models kept
current as `registry serve`'s projector keeps them. The same look-ups are
timed with 10,000 events stored and with N, so the ratio cancels the machine.
Not run in CI: 10,000,000 events take about an hour to write.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from projections.rebuild import Rebuild
from registry.domain.context import Context
from registry.entrypoints.bench import measures, workload
from registry.entrypoints.bench.harness import (
    BenchError,
    Server,
    Store,
    admin_token,
    hammer,
)

Say = Callable[[str], None]
API = "/api/v1"
CLIENTS = 8
SMALL = 10_000
EVENTS_PER_AGREEMENT = 5_000
MAX_AGREEMENTS = 2_000

# Kemendagri province codes: 38 provinces.
PROVINCES = (11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
             61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96)
REGENCIES = 514


def regions() -> list[str]:
    """514 regency and city codes: 14 in each of the first 20 provinces, 13 in the rest."""
    codes = []
    for n, province in enumerate(PROVINCES):
        codes += [f"{province}.{r:02d}" for r in range(1, (14 if n < 20 else 13) + 1)]
    assert len(codes) == REGENCIES
    return codes


def plan(events: int) -> tuple[int, int]:
    """(agreements, workers in each) for a log of about `events` events: every
    worker enrolled gives two (WorkerRegistered, WorkerEnrolled)."""
    agreements = max(1, min(MAX_AGREEMENTS, events // EVENTS_PER_AGREEMENT))
    return agreements, max(1, events // (2 * agreements))


class Filler:
    """Writes the national workload, agreement by agreement, to a target size."""

    def __init__(self, registry: Any, events: int, say: Say) -> None:
        self.registry = registry
        self.regions = regions()
        self.agreements, self.per_agreement = plan(events)
        self.signed: list[tuple[UUID, str]] = []  # (id, region)
        self.enrolled: list[tuple[int, int]] = []  # each agreement's workers: (first, count)
        self.next_worker = 0
        self.say = say

    def fill(self, target: int) -> float:
        """Write until the log holds `target` events; returns the seconds it took."""
        app = self.registry.app
        began = said = time.perf_counter()
        start = app.head_position()
        while app.head_position() < target:
            number = len(self.signed)
            region = self.regions[number % len(self.regions)]
            payload = workload.agreement(f"PKS/NAS/{number:05d}", self.per_agreement, region)
            signed = app.sign_agreement(Context(actor="bench"),
                                        **workload.agreement_fields(payload))
            self.signed.append((signed.agreement.id, region))
            left = (target - app.head_position()) // workload.EVENTS_PER_BATCH_WORKER
            count = max(1, min(self.per_agreement, left))
            rows = workload.enrollment_requests(workload.workers(self.next_worker, count, region))
            workload.enroll(app, Context(actor="bench"), signed.agreement.id, rows)
            self.enrolled.append((self.next_worker, count))
            self.next_worker += count
            self.registry.projections.catch_up()
            if time.perf_counter() - said >= 30:
                said = time.perf_counter()
                done = app.head_position()
                rate = (done - start) / (said - began)
                self.say(f"fill: {done:,} of {target:,} events, {rate:,.0f} events/s, "
                         f"about {(target - done) / rate / 60:.0f} min left")
        return time.perf_counter() - began

    def niks(self, count: int, seed: int) -> list[str]:
        """NIKs of `count` workers enrolled so far, at random."""
        rng = random.Random(seed)
        niks = []
        for _ in range(count):
            n = rng.randrange(len(self.signed))
            first, enrolled = self.enrolled[n]
            niks.append(workload.worker(first + rng.randrange(enrolled), self.signed[n][1])["nik"])
        return niks


def _timed_reads(port: int, token: str, paths: list[str]) -> dict[str, float]:
    """p50 and p99 of GETs of `paths` (in turn, from 8 clients): the better of two
    3-second rounds, so that one stall of a shared machine is not taken for the size."""

    def step(client_number: int) -> Any:
        mine = random.Random(client_number).sample(paths, len(paths))
        return lambda client, i: client.get(mine[i % len(mine)])

    hammer(port, token, CLIENTS, step, requests=10)  # warm: connections, caches
    rounds = [hammer(port, token, CLIENTS, step, seconds=3.0) for _ in range(2)]
    best = min(rounds, key=lambda load: load.percentile_ms(50))
    return {"p50_ms": best.percentile_ms(50), "p99_ms": best.percentile_ms(99)}


def _reads(store: Store, token: str, filler: Filler) -> dict[str, float]:
    niks = filler.niks(2_000, seed=filler.registry.app.head_position())
    agreements = [str(agreement_id) for agreement_id, _ in filler.signed]
    regencies = sorted({region for _, region in filler.signed})
    figures: dict[str, float] = {}
    on = workload.read_day()
    with Server(store.url, workers=2, key_file=store.key_file) as server:
        for name, paths in (
                ("lookup", [f"{API}/workers/{nik}/coverage?on={on}" for nik in niks]),
                ("history", [f"{API}/agreements/{a}/history?limit=50" for a in agreements]),
                ("region", [f"{API}/regions/{r}/coverage?on={on}" for r in regencies]),
                ("province", [f"{API}/regions/{r[:2]}/coverage?on={on}" for r in regencies])):
            for key, value in _timed_reads(server.port, token, paths).items():
                figures[f"{name}_{key}"] = value
    return figures


def _database_bytes(registry: Any) -> int:
    database = registry.settings.database
    if database.engine == "sqlite":
        return sum(os.path.getsize(database.path + suffix) for suffix in ("", "-wal")
                   if os.path.exists(database.path + suffix))
    with registry.store.transaction() as cur:
        (size,) = cur.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = ? AND c.relkind IN ('r', 'm')", (database.schema,)).one()
    return int(size)


def _analyze(registry: Any) -> None:
    """Statistics for the planner, as autovacuum would have gathered them by now."""
    if registry.settings.database.engine == "postgresql":
        with registry.store.transaction() as cur:
            cur.execute("ANALYZE")
    else:
        with registry.store.transaction(write=True) as cur:
            cur.execute("ANALYZE")


def run(store: Store, events: int, say: Say) -> dict[str, Any]:
    if events < 2 * SMALL:
        raise BenchError(f"--scale must be at least {2 * SMALL:,} events")
    token = admin_token(store)
    registry = store.open()
    filler = Filler(registry, events, say)
    figures: dict[str, Any] = {"scale_events": events, "agreements_planned": filler.agreements,
                               "workers_per_agreement": filler.per_agreement}
    try:
        say(f"national: {filler.agreements:,} agreements of {filler.per_agreement:,} workers "
            f"in {REGENCIES} regencies and cities; first {SMALL:,} events")
        filler.fill(SMALL)
        _analyze(registry)
        small = _reads(store, token, filler)
        say(f"national: filling to {events:,} events")
        first = registry.app.head_position()
        seconds = filler.fill(events)
        written = registry.app.head_position()
        figures.update(fill_events_per_s=(written - first) / seconds, events=written,
                       agreements=len(filler.signed), workers=filler.next_worker)
        _analyze(registry)
        size = _database_bytes(registry)
        figures["database_bytes_per_million_events"] = size / written * 1_000_000
        say("national: reads with the whole log")
        large = _reads(store, token, filler)
        for key, value in large.items():
            figures[key] = value
            figures[f"small_{key}"] = small[key]
        figures["lookup_p50_ratio"] = large["lookup_p50_ms"] / small["lookup_p50_ms"]
        figures["lookup_p99_ratio"] = large["lookup_p99_ms"] / small["lookup_p99_ms"]
        figures.update(_replay_and_verify(registry, written, say))
    finally:
        registry.close()
    return figures


def _replay_and_verify(registry: Any, events: int, say: Say) -> dict[str, float]:
    say(f"national: rebuilding every read model from {events:,} events")
    began = time.perf_counter()
    Rebuild(registry.projections).run()
    replay_s = time.perf_counter() - began
    return {"replay_events_per_s": events / replay_s,
            "verify_events_per_s": events / measures.verify_seconds(registry, events, say)}


SHOWN: tuple[tuple[str, str], ...] = (
    ("events", "events written"),
    ("agreements", "  agreements"),
    ("workers", "  workers"),
    ("fill_events_per_s", "fill rate, events/s (read models kept current)"),
    ("database_bytes_per_million_events", "database size per million events (bytes)"),
    ("small_lookup_p50_ms", "coverage look-up p50, 10,000 events (ms)"),
    ("lookup_p50_ms", "  with the whole log (ms)"),
    ("lookup_p50_ratio", "  ratio: whole / 10,000"),
    ("small_lookup_p99_ms", "coverage look-up p99, 10,000 events (ms)"),
    ("lookup_p99_ms", "  with the whole log (ms)"),
    ("lookup_p99_ratio", "  ratio: whole / 10,000"),
    ("small_history_p99_ms", "agreement history page p99, 10,000 events (ms)"),
    ("history_p99_ms", "  with the whole log (ms)"),
    ("small_region_p99_ms", "regency coverage p99, 10,000 events (ms)"),
    ("region_p99_ms", "  with the whole log (ms)"),
    ("small_province_p99_ms", "province coverage p99, 10,000 events (ms)"),
    ("province_p99_ms", "  with the whole log (ms)"),
    ("replay_events_per_s", "full replay, events/s"),
    ("verify_events_per_s", "verify, events/s"),
)
TARGETS: dict[str, tuple[str, float]] = {"lookup_p50_ratio": ("<=", 1.5)}
