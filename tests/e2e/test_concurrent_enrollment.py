"""Invariants under real concurrent HTTP requests against `registry serve`."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.builders import enrollment_body, labusel_pks

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(module_server):
    return module_server


@pytest.fixture
def admin_headers(module_admin_headers):
    return module_admin_headers


def fire_together(calls: list[Any]) -> list[requests.Response]:
    """Run the calls in threads released at the same instant."""
    gate = threading.Barrier(len(calls))

    def run(call: Any) -> requests.Response:
        gate.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.parametrize(("clients", "slots", "first"), [(20, 5, 1000), (50, 10, 2000)])
def test_concurrent_requests_for_the_last_slots_enroll_exactly_as_many_as_there_are(
        server, admin_headers, clients, slots, first):
    # Sign a PKS with room for 10 more than the race is for; fill those 10. (Workers
    # `first`... of its own, in an agreement of its own: the module shares one server.)
    created = requests.post(server.url("/api/v1/agreements"), headers=admin_headers,
                            json=labusel_pks(agreement_number=f"PKS-RACE-{clients}",
                                             quota=10 + slots), timeout=30)
    assert created.status_code == 201, created.text
    enrollments = server.url(f"/api/v1/agreements/{created.json()['id']}/enrollments")
    batch = requests.post(enrollments + "/batch", headers=admin_headers,
                          json={"workers": [enrollment_body(first + i) for i in range(10)]},
                          timeout=30)
    assert batch.status_code == 201, batch.text
    # Different workers race for the last slots (single writes are saved in groups).
    responses = fire_together([
        (lambda i=i: requests.post(enrollments, headers=admin_headers,
                                   json=enrollment_body(first + 100 + i), timeout=60))
        for i in range(clients)])
    outcomes = Counter(r.status_code if r.status_code == 201 else r.json()["code"]
                       for r in responses)
    assert outcomes == {201: slots, "quota_exceeded": clients - slots}
    # Every 201 names its own position; the read side, from any worker process, agrees.
    positions = [r.json()["position"] for r in responses if r.status_code == 201]
    assert len(set(positions)) == slots
    agreement = requests.get(server.url(f"/api/v1/agreements/{created.json()['id']}"),
                             headers=admin_headers, params={"on": "2022-11-01"}, timeout=30)
    assert agreement.json()["enrolled"] == 10 + slots
    listed = requests.get(enrollments, headers=admin_headers,
                          params={"limit": 500, "on": "2022-11-01", "status": "active"},
                          timeout=30)
    assert len(listed.json()["items"]) == 10 + slots


def test_one_worker_sent_into_two_overlapping_agreements_at_once_is_enrolled_once(
        server, admin_headers):
    ids = []
    for number in ("PKS-A", "PKS-B"):
        created = requests.post(server.url("/api/v1/agreements"), headers=admin_headers,
                                json=labusel_pks(agreement_number=number), timeout=30)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    same_worker = enrollment_body(5001)
    responses = fire_together([
        (lambda a=a: requests.post(server.url(f"/api/v1/agreements/{a}/enrollments"),
                                   headers=admin_headers, json=same_worker, timeout=60))
        for a in ids for _ in range(3)])
    outcomes = Counter(r.status_code if r.status_code == 201 else r.json()["code"]
                       for r in responses)
    assert outcomes == {201: 1, "already_covered": 5}
    coverage = requests.get(server.url(f"/api/v1/workers/{same_worker['nik']}/coverage"),
                            headers=admin_headers, params={"on": "2022-11-15"}, timeout=30)
    assert coverage.json()["covered"] is True
    assert len(coverage.json()["coverages"]) == 1


def test_a_write_is_visible_to_the_very_next_read_from_another_connection(
        server, admin_headers):
    for i in range(15):
        created = requests.post(server.url("/api/v1/agreements"), headers=admin_headers,
                                json=labusel_pks(agreement_number=f"PKS-RYW-{i}"), timeout=30)
        assert created.status_code == 201, created.text
        # A fresh connection may land on the other gunicorn worker.
        listed = requests.get(server.url("/api/v1/agreements"), headers=admin_headers,
                              params={"limit": 500}, timeout=30)
        numbers = {a["agreement_number"] for a in listed.json()["items"]}
        assert f"PKS-RYW-{i}" in numbers
