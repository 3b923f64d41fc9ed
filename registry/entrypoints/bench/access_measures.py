"""The access log's cost on coverage reads (issue 17): `access_log_overhead`.

Two `registry serve` run on one store holding the same workers: one records every
answer that shows a worker, as it is served; the other has that recording switched
off through `api.access.BENCH_BASELINE`, an internal switch that exists for this
measure only (no setting, not documented for operators). Coverage look-ups by 8
clients alternate between the two in short rounds, each going first in turn, so
that a slow moment of the shared machine falls on both sides of a pair of rounds.

- `access_log_overhead`: the median, over the pairs of rounds, of the baseline's
  look-ups/s over those with the log (1.10 = reads 10 % slower with it; target at
  most 1.10);
- `access_log_overhead_spread`: the lowest and highest ratio of a pair: how much
  the machine moved under the measure;
- `access_log_cpu_overhead`: the CPU time the server's processes spent per look-up
  with the log over that without (Linux: from /proc): what the recording costs,
  much less moved by other work on the machine than a rate is;
- `access_log_reads_per_s`, `access_log_baseline_reads_per_s`, and each side's p50;
- `access_log_records_missing`: look-ups the recording server answered minus the
  "shown" records found once both servers have stopped (an orderly exit writes what
  a process held back): 0, or records were lost;
- `access_log_chain_intact`: the records' MAC chain verifies (1) or not (0).
"""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from api.access import BENCH_BASELINE
from registry.entrypoints.bench import workload
from registry.entrypoints.bench.harness import BenchError, Load, Server, Store, hammer

Say = Callable[[str], None]
API = "/api/v1"
CLIENTS = 8
WORKERS = 2000

TARGETS: dict[str, tuple[str, float]] = {"access_log_overhead": ("<=", 1.10)}
SHOWN: tuple[tuple[str, str], ...] = (
    ("access_log_reads_per_s", "coverage look-ups/s with the access log, 8 clients"),
    ("access_log_baseline_reads_per_s", "  the same without recording, interleaved"),
    ("access_log_overhead", "  ratio: without / with (1.10 = 10 % slower)"),
    ("access_log_cpu_overhead", "  server CPU per look-up: with / without"),
    ("access_log_records_missing", "  look-ups answered without a record"),
)


@contextmanager
def _server(store: Store, recording: bool) -> Iterator[Server]:
    """`registry serve` on the store; without recording "shown" accesses unless `recording`."""
    if recording:
        with Server(store.url, workers=2, key_file=store.key_file) as server:
            yield server
        return
    os.environ[BENCH_BASELINE] = "1"  # Server hands its environment to serve's processes
    try:
        server = Server(store.url, workers=2, key_file=store.key_file)
    finally:
        del os.environ[BENCH_BASELINE]
    with server:
        yield server


def _cpu_seconds(group: int) -> float:
    """CPU time (user and system) of the processes of the process group, so far."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == group:  # after the name: state, ppid, pgrp, ...
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _lookups(niks: list[str]) -> Callable[[int], Any]:
    on = workload.read_day()

    def client(number: int) -> Any:
        order = random.Random(number).sample(niks, len(niks))
        paths = [f"{API}/workers/{nik}/coverage?on={on}" for nik in order]
        return lambda c, i: c.get(paths[i % len(paths)])

    return client


def _workers(store: Store, say: Say) -> tuple[str, list[str]]:
    """Fill the store with about WORKERS enrolled workers; an admin token and their NIKs."""
    say(f"access log: enrolling {WORKERS:,} workers")
    registry = store.open()
    try:
        enrolled = workload.grow(registry.app, 1 + WORKERS * workload.EVENTS_PER_BATCH_WORKER)
        registry.projections.catch_up()
        token = registry.tokens.create("bench-access", "admin", [])
    finally:
        registry.close()
    return token, [workload.worker(i, workload.region_of(i))["nik"] for i in range(enrolled)]


def _recorded(store: Store) -> tuple[int, bool]:
    """The "shown" records kept, and whether their chain verifies."""
    registry = store.open()
    try:
        with registry.store.transaction() as cur:
            count = int(cur.execute(
                "SELECT COUNT(*) FROM worker_access WHERE outcome = 'shown'").one()[0])
        return count, registry.access.verify().ok
    finally:
        registry.close()


def overhead(store: Store, quick: bool, say: Say) -> dict[str, Any]:
    """Coverage look-ups with the access log beside look-ups without it, on a fresh store."""
    token, niks = _workers(store, say)
    rounds, seconds = (8, 1.0) if quick else (12, 2.5)
    look_up = _lookups(niks)
    runs: dict[bool, list[Load]] = {True: [], False: []}
    cpu = {True: 0.0, False: 0.0}
    answered = 0
    with _server(store, recording=True) as logged, _server(store, recording=False) as bare:
        ports = {True: logged.port, False: bare.port}
        # serve runs in a session of its own: its processes are one group.
        groups = {True: logged.process.pid, False: bare.process.pid}
        for recording in (True, False):  # warm each process up, as a running service is
            warm = hammer(ports[recording], token, CLIENTS, look_up, requests=25)
            answered += len(warm.latencies) if recording else 0
        say(f"access log: coverage look-ups, {rounds} rounds of {seconds:g} s with and "
            f"without the log, interleaved")
        for n in range(rounds):
            for recording in ((True, False) if n % 2 == 0 else (False, True)):
                began = _cpu_seconds(groups[recording])
                load = hammer(ports[recording], token, CLIENTS, look_up, seconds=seconds)
                cpu[recording] += _cpu_seconds(groups[recording]) - began
                runs[recording].append(load)
                if recording:
                    answered += len(load.latencies)
    kept, intact = _recorded(store)
    if not all(load.per_second for load in runs[True]):
        raise BenchError("a round answered no coverage look-up with the access log on")
    ratios = sorted(bare.per_second / logged.per_second
                    for logged, bare in zip(runs[True], runs[False], strict=True))
    return {
        "access_log_reads_per_s": statistics.median(load.per_second for load in runs[True]),
        "access_log_baseline_reads_per_s": statistics.median(
            load.per_second for load in runs[False]),
        "access_log_overhead": statistics.median(ratios),
        "access_log_overhead_spread": [ratios[0], ratios[-1]],
        "access_log_cpu_overhead": (cpu[True] / _count(runs[True])) / max(
            cpu[False] / _count(runs[False]), 1e-9),
        "access_log_p50_ms": statistics.median(load.percentile_ms(50) for load in runs[True]),
        "access_log_baseline_p50_ms": statistics.median(
            load.percentile_ms(50) for load in runs[False]),
        "access_log_records": kept, "access_log_records_missing": answered - kept,
        "access_log_chain_intact": int(intact),
    }


def _count(loads: list[Load]) -> int:
    return max(1, sum(len(load.latencies) for load in loads))
