"""Each figure of `registry bench`, measured beside its baseline in the same run."""

from __future__ import annotations

import functools
import os
import random
import time
from collections.abc import Callable
from typing import Any

from projections.rebuild import Rebuild
from registry.entrypoints.bench import (
    correction_measures,
    ledger_measures,
    log_measures,
    ops_measures,
    privacy_measures,
    ui_measures,
    workload,
)
from registry.entrypoints.bench.bare import BareServer
from registry.entrypoints.bench.baseline import library_bulk_save, library_decode
from registry.entrypoints.bench.harness import (
    BenchError,
    Client,
    Server,
    Store,
    admin_token,
    hammer,
)
from registry.entrypoints.bench.rounds import ROUNDS, in_rounds
from registry.entrypoints.rebuild_share import shared_by

API = "/api/v1"
CLIENTS = 8
Say = Callable[[str], None]


def _sign(client: Client, number: str, quota: int, region: str = workload.REGIONS[0]) -> str:
    status, body = client.post(f"{API}/agreements", workload.agreement(number, quota, region))
    if status != 201:
        raise BenchError(f"signing {number} answered {status}: {body}")
    return str(body["id"])


def bulk_and_traffic(store: Store, library_store: Store, quick: bool, say: Say) -> dict[str, Any]:
    """One server on one fresh store, in rounds (registry/entrypoints/bench/rounds.py):
    a 5,000-worker batch and the library saving the same events; single enrollments
    from 8 clients; coverage look-ups and /health, each for as long."""
    token = admin_token(store)
    figures: dict[str, Any] = {}
    with Server(store.url, workers=2, key_file=store.key_file) as server, BareServer() as bare:
        admin = Client(server.port, token)
        # Warm each worker process up (imports, first connections) as a running service is.
        warm = _sign(admin, "PKS/BENCH/WARM", 100)
        for n in range(4):
            admin.post(f"{API}/agreements/{warm}/enrollments/batch",
                       {"workers": workload.workers(900_000 + 10 * n, 10)})

        def one_round(r: int) -> dict[str, float]:
            say(f"round {r + 1} of {ROUNDS}")
            taken = _bulk(store, library_store, admin, r, say)
            if r == 0:  # the tree's own share, timed apart once
                figures.update(log_measures.tree_share(store, taken.pop("before"),
                                                       taken["bulk_enroll_5000_s"]))
            taken.pop("before", None)
            taken.update(_singles(server.port, token, admin, r, quick, say))
            taken.update(_reads(server.port, token, taken.pop("niks"), quick, say, bare.port))
            return taken

        figures.update(in_rounds(one_round))
        admin.close()
    return figures


BULK = 5000


def _bulk(store: Store, library_store: Store, admin: Client, r: int, say: Say) -> dict[str, Any]:
    rows = workload.workers(BULK * r, BULK)
    bulk = _sign(admin, f"PKS/BENCH/BULK/{r}", BULK)
    say(f"bulk: one batch of {BULK:,} workers through registry serve")
    before = log_measures.head(store)
    began = time.perf_counter()
    status, body = admin.post(f"{API}/agreements/{bulk}/enrollments/batch", {"workers": rows})
    registry_s = time.perf_counter() - began
    if status != 201 or body.get("enrolled") != BULK:
        raise BenchError(f"the {BULK:,}-worker batch answered {status}: {str(body)[:500]}")
    say("bulk: the library saving the same events in batches of 500")
    library_s = library_bulk_save(library_store, rows)
    return {"bulk_enroll_5000_s": registry_s, "library_bulk_5000_s": library_s,
            "bulk_enroll_ratio": library_s / registry_s, "before": before,
            "niks": [row["nik"] for row in rows]}


def _singles(port: int, token: str, admin: Client, r: int, quick: bool,
             say: Say) -> dict[str, float]:
    per_client = 250 if quick else 500
    say(f"single: {CLIENTS} clients x {per_client} single enrollments")
    agreements = [_sign(admin, f"PKS/BENCH/SINGLE/{r}/{c}", per_client, workload.REGIONS[c])
                  for c in range(CLIENTS)]

    def enroll(c: int) -> Any:
        rows = workload.workers(100_000 * (c + 1) + 1000 * r, per_client, workload.REGIONS[c])
        path = f"{API}/agreements/{agreements[c]}/enrollments"
        return lambda client, i: client.post(path, rows[i])

    single = hammer(port, token, CLIENTS, enroll, requests=per_client, expect=201)
    return {"single_enroll_per_s": single.per_second,
            "single_enroll_p50_ms": single.percentile_ms(50),
            "single_enroll_p99_ms": single.percentile_ms(99)}


def _reads(port: int, token: str, niks: list[str], quick: bool, say: Say,
           bare_port: int) -> dict[str, float]:
    seconds = 3.0 if quick else 10.0
    say(f"read: coverage look-ups, /health and a bare Flask app, {CLIENTS} clients, "
        f"{seconds:g} s each")
    coverage = hammer(port, token, CLIENTS, lambda c: _lookups(niks, c), seconds=seconds)
    health = hammer(port, token, CLIENTS,
                    lambda c: lambda client, i: client.get("/health"), seconds=seconds)
    bare = hammer(bare_port, "", CLIENTS,
                  lambda c: lambda client, i: client.get("/health"), seconds=seconds)
    return {"coverage_per_s": coverage.per_second, "health_per_s": health.per_second,
            "read_ratio": coverage.per_second / health.per_second,
            "read_p50_ms": coverage.percentile_ms(50), "read_p99_ms": coverage.percentile_ms(99),
            "bare_per_s": bare.per_second, "bare_p99_ms": bare.percentile_ms(99)}


def _lookups(niks: list[str], client_number: int) -> Any:
    rng = random.Random(client_number)
    on = workload.read_day()
    paths = [f"{API}/workers/{nik}/coverage?on={on}" for nik in rng.sample(niks, len(niks))]
    return lambda client, i: client.get(paths[i % len(paths)])


def scale(store: Store, quick: bool, say: Say) -> dict[str, Any]:
    """Coverage latency with 10,000 events stored, then with 100x (10x in --quick) as many;
    then, on the large log, a full replay and a verify against the library decoding it."""
    token = admin_token(store)
    registry = store.open()
    figures: dict[str, Any] = {}
    large = 100_000 if quick else 1_000_000
    try:
        latencies = {}
        next_worker = 0
        for target in (10_000, large):
            say(f"scale: filling the log to {target:,} events")
            next_worker = workload.grow(registry.app, target, first_worker=next_worker)
            checked, next_worker = ops_measures.integrity_since(
                registry, "small" if target == 10_000 else "large", next_worker, say)
            figures.update(checked)
            registry.projections.catch_up()
            niks = [workload.worker(i, workload.region_of(i))["nik"]
                    for i in random.Random(target).sample(range(next_worker), 2000)]
            say(f"scale: coverage look-ups with {registry.app.head_position():,} events")
            with Server(store.url, workers=2, key_file=store.key_file) as server:
                look_up = functools.partial(_lookups, niks)
                hammer(server.port, token, CLIENTS, look_up, requests=20)
                # The better of two rounds: one stall of a shared machine must not
                # pass for the cost of a bigger log.
                latencies[target] = min(
                    hammer(server.port, token, CLIENTS, look_up,
                           seconds=1.5 if quick else 3.0).percentile_ms(50)
                    for _ in range(2))
                if target == large:
                    say("log: inclusion proofs of random events, 8 clients")
                    figures.update(log_measures.proofs(server.port, token, registry,
                                                       seconds=3.0 if quick else 10.0))
                    figures.update(ui_measures.large_pages(
                        server.port, token, niks, registry.app.head_position(), quick, say))
        figures.update(scale_events_small=10_000, scale_events_large=large,
                       scale_p50_small_ms=latencies[10_000], scale_p50_large_ms=latencies[large],
                       scale_latency_ratio=latencies[large] / latencies[10_000])
        figures.update(ops_measures.ratio(figures))
        figures.update(_replay_and_verify(registry, say))
        say(f"log: signed checkpoints and the tree's check over {large:,} events")
        figures.update(log_measures.checkpoints_and_check(registry))
        figures.update(correction_measures.corrections(registry, say))
        figures.update(ledger_measures.ledger(registry, say))
        figures.update(privacy_measures.erasure(registry, niks, say))
    finally:
        registry.close()
    return figures


def _replay_and_verify(registry: Any, say: Say) -> dict[str, Any]:
    events = registry.app.head_position()
    shared = (os.cpu_count() or 1) > 1

    def one_round(r: int) -> dict[str, float]:
        say(f"replay, round {r + 1} of {ROUNDS}: rebuilding every read model "
            f"from {events:,} events")
        replay_s = _timed(lambda: Rebuild(registry.projections).run())
        say("replay: the library decoding the same log")
        decoded, decode_s = library_decode(registry.app)
        decode_rate = decoded / decode_s
        taken = {"replay_events_per_s": events / replay_s, "decode_events_per_s": decode_rate,
                 "replay_ratio": (events / replay_s) / decode_rate}
        if shared:
            say("replay: the same rebuild shared by two processes (registry replay --jobs 2)")
            share = shared_by(2, registry.settings)
            shared_s = _timed(lambda: Rebuild(registry.projections).run(share=share))
            taken["replay_shared_ratio"] = (events / shared_s) / decode_rate
        return taken

    figures = {"replay_events": events, **in_rounds(one_round)}
    return {**figures, "verify_events_per_s": events / verify_seconds(registry, events, say)}


def verify_seconds(registry: Any, events: int, say: Say) -> float:
    """How long `registry verify`'s chain check takes over the log; a broken log fails."""
    from registry.audit import integrity

    say(f"verify: the hash chain over {events:,} events")
    began = time.perf_counter()
    report = integrity.check(registry.app, registry.store)
    verify_s = time.perf_counter() - began
    if not report.ok:
        raise BenchError(f"verify found the benchmark's own log broken: {report.as_dict()}")
    return verify_s


def _timed(work: Callable[[], Any]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
