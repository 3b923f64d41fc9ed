"""A rebuilt read model answers every read exactly as the live one did, on both engines."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import pytest

from projections import rebuild as rebuilding
from projections.rebuild import Rebuild
from registry.domain import nik as niks
from tests.builders import labusel_pks, medan_mou


@pytest.fixture
def scenario(admin: Any) -> dict[str, Any]:
    """Every kind of event: signing, PKS under an MOU, batches, renewal with carry-over,
    death, void, correction, amendment, termination, targets."""
    mou = admin.post("/api/v1/agreements", json=medan_mou()).json["id"]
    pks = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    opd = admin.post("/api/v1/agreements", json=medan_mou(
        agreement_number="PKS-OPD-1", kind="PKS", parent_id=mou, quota=50)).json["id"]
    workers = [{"nik": niks.make("12.22", 2, date(1975, 3, 9), "MF"[i % 2], i),
                "name": f"Pekerja {i}", "occupation": "petani", "starts_on": "2022-10-01"}
               for i in range(12)]
    assert admin.post(f"/api/v1/agreements/{pks}/enrollments/batch",
                      json={"workers": workers}).status_code == 201
    admin.post(f"/api/v1/agreements/{pks}/enrollments/{workers[0]['nik']}/disenrollment",
               json={"ends_on": "2022-11-20", "reason_code": "DECEASED"})
    admin.post(f"/api/v1/agreements/{pks}/enrollments/{workers[1]['nik']}/void",
               json={"reason": "duplicate"})
    admin.post(f"/api/v1/workers/{workers[2]['nik']}/corrections",
               json={"reason": "KTP", "name": "Nama Benar"})
    admin.post(f"/api/v1/agreements/{pks}/renewals", json={"ends_on": "2023-12-31"})
    admin.post(f"/api/v1/agreements/{pks}/amendments",
               json={"effective_on": "2023-02-01", "reason": "APBD-P", "quota": 2500})
    admin.post(f"/api/v1/agreements/{opd}/termination",
               json={"ends_on": "2025-06-30", "reason": "OPD merged"})
    admin.put("/api/v1/regions/12.22/targets/2023", json={"workforce": 9000,
                                                          "target_percent": 25.0})
    return {"pks": pks, "mou": mou, "opd": opd, "niks": [w["nik"] for w in workers]}


def every_answer(admin: Any, s: dict[str, Any]) -> list[Any]:
    paths = ["/api/v1/agreements?limit=500", "/api/v1/agreements?status=active&on=2023-03-01",
             "/api/v1/events?limit=500", "/api/v1/audit/backdated?min_days=0",
             "/api/v1/regions/12/coverage?on=2022-11-01",
             "/api/v1/regions/12.22/coverage?on=2023-03-01"]
    for agreement in (s["pks"], s["mou"], s["opd"]):
        paths += [f"/api/v1/agreements/{agreement}?on=2023-03-01",
                  f"/api/v1/agreements/{agreement}/enrollments?limit=500&on=2023-03-01",
                  f"/api/v1/agreements/{agreement}/history?limit=500",
                  f"/api/v1/agreements/{agreement}/contributions?from=2022-10&to=2023-03"]
    for nik in s["niks"][:4]:
        paths += [f"/api/v1/workers/{nik}", f"/api/v1/workers/{nik}/coverage?on=2023-03-01",
                  f"/api/v1/workers/{nik}/history",
                  f"/api/v1/agreements/{s['pks']}/enrollments/{nik}"]
    answers = []
    for path in paths:
        response = admin.get(path)
        assert response.status_code == 200, (path, response.json)
        answers.append((path, response.json))
    return answers


def test_a_replay_gives_identical_answers_on_every_read_endpoint(registry, admin, scenario):
    before = every_answer(admin, scenario)
    assert Rebuild(registry.projections).run()
    assert every_answer(admin, scenario) == before
    assert registry.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0, "ledger": 0}


def test_an_interrupted_replay_leaves_the_live_answers_alone_and_resumes(
        registry, admin, scenario, monkeypatch):
    before = every_answer(admin, scenario)
    monkeypatch.setattr(rebuilding, "BATCH", 5)
    # Interrupted after three small batches...
    assert not Rebuild(registry.projections).run(max_batches=3)
    assert every_answer(admin, scenario) == before
    # ...writes go on meanwhile, then the replay resumes and switches.
    admin.post(f"/api/v1/agreements/{scenario['pks']}/enrollments", json={
        "nik": niks.make("12.22", 9, date(1990, 1, 1), "M", 77), "name": "Baru",
        "occupation": "nelayan", "starts_on": "2023-05-01"})
    during = every_answer(admin, scenario)
    assert during != before
    assert Rebuild(registry.projections).run()
    assert every_answer(admin, scenario) == during


def test_one_read_model_can_be_rebuilt_alone(registry, admin, scenario):
    before = every_answer(admin, scenario)
    assert Rebuild(registry.projections, ["history"]).run()
    assert every_answer(admin, scenario) == before
    with pytest.raises(ValueError, match="no projection nope"):
        Rebuild(registry.projections, ["nope"])


def test_a_replay_leaves_the_process_and_its_connection_as_it_found_them(registry, scenario):
    # It pauses the cycle collector while it loads and, on SQLite, keeps freed
    # pages unzeroed while it runs: neither outlives it, nor an interruption.
    def settings() -> tuple[bool, int | None]:
        if registry.store.engine != "sqlite":
            return gc.isenabled(), None
        with registry.store.transaction() as cur:
            return gc.isenabled(), int(cur.execute("PRAGMA secure_delete").one()[0])

    before = settings()
    assert before[0]
    assert not Rebuild(registry.projections).run(max_batches=1)
    assert settings() == before
    assert Rebuild(registry.projections).run()
    assert settings() == before
