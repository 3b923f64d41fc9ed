"""Killing the server mid-write loses nothing it confirmed and half-writes nothing."""

from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from registry.domain import nik as niks
from tests.builders import labusel_pks
from tests.e2e.servers import start_server, stop_server

pytestmark = pytest.mark.e2e


def batch(number: int) -> list[dict[str, Any]]:
    born = date(1970, 1, 1) + timedelta(days=number)
    return [{"nik": niks.make("12.22", 5, born, "M", 100 * number + i),
             "name": f"B{number}-{i}", "occupation": "petani", "starts_on": "2022-10-01"}
            for i in range(100)]


def test_sigkill_during_enrollments_keeps_every_confirmed_write_and_no_half_batch(
        database_url, tmp_path):
    server = start_server(database_url, tmp_path)
    headers = {"Authorization": f"Bearer {server.token()}"}
    agreement = requests.post(server.url("/api/v1/agreements"), headers=headers,
                              json=labusel_pks(quota=100_000), timeout=30).json()["id"]
    enrollments = server.url(f"/api/v1/agreements/{agreement}/enrollments")
    batches = {n: batch(n) for n in range(40)}
    confirmed: list[str] = []
    confirmed_singles: list[str] = []
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            answer = requests.post(enrollments + "/batch", headers=headers,
                                   json={"workers": batches[n]}, timeout=30)
        except requests.RequestException:
            return  # killed mid-request: the outcome is unknown, but must be all or nothing
        if answer.status_code == 201:
            with lock:
                confirmed.extend(w["nik"] for w in batches[n])

    singles = [{"nik": niks.make("12.22", 6, date(1988, 8, 8), "F", i), "name": f"S{i}",
                "occupation": "pedagang", "starts_on": "2022-10-01"} for i in range(200)]

    def send_single(worker: dict[str, Any]) -> None:
        try:
            answer = requests.post(enrollments, headers=headers, json=worker, timeout=30)
        except requests.RequestException:
            return
        if answer.status_code == 201:
            with lock:
                confirmed.append(worker["nik"])
                confirmed_singles.append(worker["nik"])

    # Fire batches and single enrollments (saved in groups) from ten clients, singles
    # among the batches; kill everything part-way.
    with ThreadPoolExecutor(max_workers=10) as pool:
        futures = [pool.submit(send_single, w) for w in singles[:100]]
        futures += [pool.submit(send, n) for n in batches]
        futures += [pool.submit(send_single, w) for w in singles[100:]]
        deadline = time.monotonic() + 30
        while len(confirmed) < 500 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(server.process.pid, signal.SIGKILL)
        for future in futures:
            future.result()
    server.process.wait()
    server.log.close()
    assert confirmed, "no batch was confirmed before the kill"
    assert confirmed_singles, "no single enrollment was confirmed before the kill"

    # Restart on the same database.
    restarted = start_server(database_url, tmp_path)
    try:
        headers = {"Authorization": f"Bearer {restarted.token(name='after-crash')}"}
        listed = requests.get(restarted.url(f"/api/v1/agreements/{agreement}/enrollments"),
                              headers=headers, params={"limit": 500, "on": "2022-11-01"},
                              timeout=60).json()
        enrolled = set()
        while True:
            enrolled |= {item["nik"] for item in listed["items"]}
            if listed["next_after"] is None:
                break
            listed = requests.get(
                restarted.url(f"/api/v1/agreements/{agreement}/enrollments"), headers=headers,
                params={"limit": 500, "on": "2022-11-01", "after": listed["next_after"]},
                timeout=60).json()
        # Every confirmed write is there, and each confirmed single is covered...
        assert set(confirmed) <= enrolled
        for nik in confirmed_singles:
            coverage = requests.get(restarted.url(f"/api/v1/workers/{nik}/coverage"),
                                    headers=headers, params={"on": "2022-11-01"}, timeout=30)
            assert coverage.json()["covered"] is True, nik
        # ...and every batch is all there or not there at all.
        for workers in batches.values():
            present = {w["nik"] for w in workers} & enrolled
            assert len(present) in (0, 100)
        # The read models caught up with the log: the quota count agrees with the list.
        agreement_now = requests.get(restarted.url(f"/api/v1/agreements/{agreement}"),
                                     headers=headers, params={"on": "2022-11-01"},
                                     timeout=30).json()
        assert agreement_now["enrolled"] == len(enrolled)
        health = requests.get(restarted.url("/health"), timeout=30).json()
        assert health["status"] == "ok"
    finally:
        stop_server(restarted)
