"""Who has looked at a worker: every answer that shows a worker's details is in the
worker's access log, with who, which route and why."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import enrolled, nik, post_labusel_pks
from tests.callers import Caller, assert_problem

V1 = "/api/v1"


@pytest.fixture
def world(admin: Caller, as_role: Any) -> dict[str, Any]:
    """The Labuhanbatu Selatan PKS with three workers; an auditor and a registrar."""
    agreement = post_labusel_pks(admin)
    for i in (1, 2, 3):
        enrolled(admin, agreement, i)
    return {"agreement": agreement, "admin": admin, "auditor": as_role("auditor"),
            "registrar": as_role("registrar", "12.22")}


def shown(admin: Caller, number: str) -> list[dict[str, Any]]:
    answer = admin.get(f"{V1}/workers/{number}/access-log")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [r for r in answer.json["items"] if r["outcome"] == "shown"]


def test_the_access_log_lists_the_reads_made_with_two_different_tokens(
        world: dict[str, Any]) -> None:
    admin, auditor = world["admin"], world["auditor"]
    assert admin.get(f"{V1}/workers/{nik(1)}",
                     headers={"X-Purpose": "klaim JKK 2025/77"}).status_code == 200
    assert auditor.get(f"{V1}/workers/{nik(1)}/coverage?on=2022-12-01",
                       headers={"X-Purpose": "audit BPK"}).status_code == 200
    records = shown(admin, nik(1))
    assert [(r["actor"].split("-")[0], r["role"], r["route"], r["purpose"])
            for r in records] == [
        ("admin", "admin", "/api/v1/workers/<nik:nik>", "klaim JKK 2025/77"),
        ("auditor", "auditor", "/api/v1/workers/<nik:nik>/coverage", "audit BPK")]
    assert records[0]["actor"] != records[1]["actor"]
    assert all(r["at"].endswith("Z") and r["request_id"] for r in records)
    assert shown(admin, nik(2)) == []  # nobody has looked at worker 2
    # Reading the access log shows no worker's details: it is not itself recorded.
    assert len(shown(admin, nik(1))) == 2


def test_a_registrar_may_not_read_the_access_log(world: dict[str, Any]) -> None:
    registrar = world["registrar"]
    assert registrar.get(f"{V1}/workers/{nik(1)}").status_code == 200
    assert_problem(registrar.get(f"{V1}/workers/{nik(1)}/access-log"), 403, "forbidden")
    assert [r["role"] for r in shown(world["admin"], nik(1))] == ["registrar"]


def test_a_list_gives_one_record_per_worker_it_shows(world: dict[str, Any]) -> None:
    auditor, agreement = world["auditor"], world["agreement"]
    answer = auditor.get(f"{V1}/agreements/{agreement}/enrollments?limit=2")
    assert answer.status_code == 200 and len(answer.json["items"]) == 2
    listed = [item["nik"] for item in answer.json["items"]]
    for i in (1, 2, 3):
        records = shown(world["admin"], nik(i))
        assert len(records) == (1 if nik(i) in listed else 0)
        assert all(r["route"] == "/api/v1/agreements/<uuid:agreement_id>/enrollments"
                   for r in records)


@pytest.mark.parametrize("path", [
    "/workers/{nik}/coverage/certificate",
    "/workers/{nik}/history",
    "/agreements/{agreement}/enrollments/{nik}",
    "/agreements/{agreement}/history",
    "/events",
    "/audit/backdated",
    "/log/proof?position={position}",
])
def test_every_answer_that_shows_the_worker_is_recorded(world: dict[str, Any], registry: Any,
                                                        path: str) -> None:
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        # The history knows the worker by pseudonym, never the NIK.
        registered = cur.execute("SELECT MIN(position) FROM rm_history WHERE nik = ?",
                                 (str(registry.app.worker_id(nik(1))),)).one()[0]
    auditor = world["auditor"]
    answer = auditor.get(V1 + path.format(nik=nik(1), agreement=world["agreement"],
                                          position=registered))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [r["route"] for r in shown(world["admin"], nik(1))] == [
        V1 + path.split("?")[0].replace("{nik}", "<nik:nik>").replace(
            "{agreement}", "<uuid:agreement_id>")]


def test_a_coverage_answer_for_a_worker_not_visible_records_nothing(
        world: dict[str, Any], as_role: Any) -> None:
    medan = as_role("registrar", "12.71")
    answer = medan.get(f"{V1}/workers/{nik(1)}/coverage")
    assert answer.status_code == 200 and answer.json["known"] is False
    assert shown(world["admin"], nik(1)) == []
