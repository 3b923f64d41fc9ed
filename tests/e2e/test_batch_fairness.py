"""A big batch finishes while single enrollments keep arriving on its agreement."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from registry.entrypoints.bench import workload

pytestmark = pytest.mark.e2e

# Big enough that one attempt at the batch outlasts the gap between two singles
# (so, without fairness, it loses every race), small enough to keep the test short.
ROWS = 4_000
SINGLES_PER_SECOND = 5
MAX_SINGLES = 400  # a bound on the loop, whatever happens to the batch


@dataclass
class Timed:
    status: int
    seconds: float
    body: Any


@dataclass
class Singles:
    """Single enrollments sent at a steady rate, each in a thread of its own pool."""

    enrollments: str
    headers: dict[str, str]
    first: int
    statuses: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Singles:
        self._pool = ThreadPoolExecutor(max_workers=16)
        self._pace = threading.Thread(target=self._send_at_a_steady_rate, daemon=True)
        self._pace.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._pace.join(timeout=10)
        self._pool.shutdown(wait=True)  # every single answered (each has a 60 s timeout)

    def _send_at_a_steady_rate(self) -> None:
        began = time.monotonic()
        for n in range(MAX_SINGLES):
            if self._stop.wait(max(0.0, began + n / SINGLES_PER_SECOND - time.monotonic())):
                return
            self._pool.submit(self._send, workload.worker(self.first + n, "12.22"))

    def _send(self, worker: dict[str, Any]) -> None:
        answer = requests.post(self.enrollments, headers=self.headers, json=worker, timeout=60)
        self.statuses.append(answer.status_code)


def sign(server: Any, headers: dict[str, str], number: str) -> str:
    created = requests.post(server.url("/api/v1/agreements"), headers=headers, timeout=30,
                            json=workload.agreement(number, 10 * ROWS, "12.22"))
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def timed_batch(server: Any, headers: dict[str, str], agreement_id: str,
                workers: list[dict[str, Any]]) -> Timed:
    began = time.monotonic()
    answer = requests.post(server.url(f"/api/v1/agreements/{agreement_id}/enrollments/batch"),
                           headers=headers, json={"workers": workers}, timeout=120)
    return Timed(answer.status_code, time.monotonic() - began, answer.json())


def wait_until_projected(server: Any) -> None:
    """The projection process done with what came before: it shares the CPU."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        lags = requests.get(server.url("/health"), timeout=30).json()["projections"]
        if not any(lags.values()):
            return
        time.sleep(0.2)
    raise AssertionError(f"the read models still lag after 60 s: {lags}")


def enrolled(server: Any, headers: dict[str, str], agreement_id: str) -> int:
    answer = requests.get(server.url(f"/api/v1/agreements/{agreement_id}"), headers=headers,
                          params={"on": workload.STARTS_ON.isoformat()}, timeout=30)
    return int(answer.json()["enrolled"])


def test_a_big_batch_finishes_within_twice_its_idle_time_while_singles_keep_arriving(
        server, admin_headers):
    quiet, busy = sign(server, admin_headers, "PKS-QUIET"), sign(server, admin_headers, "PKS-BUSY")
    for agreement_id, first in ((quiet, 0), (busy, 10)):  # warm both server processes up
        assert timed_batch(server, admin_headers, agreement_id,
                           workload.workers(first, 10, "12.22")).status == 201
    # The batch alone on its agreement.
    idle = timed_batch(server, admin_headers, quiet, workload.workers(100, ROWS, "12.22"))
    assert idle.status == 201, idle.body
    wait_until_projected(server)
    # The same size of batch while single enrollments arrive on its agreement.
    enrollments = server.url(f"/api/v1/agreements/{busy}/enrollments")
    with Singles(enrollments, admin_headers, first=100_000) as singles:
        time.sleep(1)  # the singles are flowing before the batch starts
        loaded = timed_batch(server, admin_headers, busy,
                             workload.workers(100 + ROWS, ROWS, "12.22"))
        time.sleep(1)  # and still are after it ends
    print(f"\n{ROWS} rows: {idle.seconds:.2f} s alone, {loaded.seconds:.2f} s with "
          f"{len(singles.statuses)} singles at {SINGLES_PER_SECOND}/s")
    assert loaded.status == 201, loaded.body
    assert loaded.body["enrolled"] == ROWS
    assert set(singles.statuses) == {201}
    assert len(singles.statuses) >= SINGLES_PER_SECOND * 2
    assert loaded.seconds < 2 * idle.seconds
    # Every enrollment holds exactly one slot.
    assert enrolled(server, admin_headers, busy) == 10 + ROWS + len(singles.statuses)
