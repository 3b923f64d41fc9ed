"""On the demo data: the civil registry's list of 100 Labuhanbatu Selatan workers who
died on 10 November 2022, previewed and applied (issue 18's "must show").

The domain rule (DESIGN.md 4): a month bills every worker whose coverage overlaps
it. Coverage that ends on 10 November still overlaps November, so November's
contribution does not change; December's falls by 100 x Rp 16,800. The PKS was
renewed for 2023 with its workers carried over, so every month of 2023 falls by
as much.
"""

from __future__ import annotations

from typing import Any

from registry.domain.agreement import Agreement
from registry.entrypoints import demo

AGREEMENT = "PKS/LBS/2022/10"
CORRECTIONS = "/api/v1/corrections"


def contributions(admin: Any, agreement_id: str) -> dict[str, int]:
    owed = admin.get(f"/api/v1/agreements/{agreement_id}/contributions"
                     "?from=2022-10&to=2023-12").json
    return {m["month"]: m["amount_idr"] for m in owed["months"]}


def test_100_deaths_in_labuhanbatu_selatan_previewed_then_applied(registry, admin):
    demo.load(registry.app)
    agreement_id = str(Agreement.create_id(AGREEMENT))
    enrolled = admin.get(f"/api/v1/agreements/{agreement_id}/enrollments"
                         "?on=2022-11-01&limit=100").json["items"]
    dead = [e["nik"] for e in enrolled]
    assert len(dead) == 100
    owed_before = contributions(admin, agreement_id)
    assert owed_before["2022-11"] == owed_before["2022-12"] == 2000 * 16_800
    csv = "action,agreement_number,nik,ends_on,reason_code\n" + "".join(
        f"disenroll,{AGREEMENT},{nik},2022-11-10,DECEASED\n" for nik in dead)

    def preview() -> dict[str, Any]:
        response = admin.post(f"{CORRECTIONS}/preview?reason=Dukcapil: meninggal 10-11-2022",
                              data=csv, headers={"Content-Type": "text/csv"})
        assert response.status_code == 200, response.json
        assert response.json["rejected"] == 0, response.json["rows"][:3]
        return response.json

    # Preview: coverage ends on the day of death.
    first = preview()
    workers = first["changes"]["workers"]
    assert sorted(w["nik"] for w in workers) == sorted(dead)
    assert all([p["ends_on"] for p in w["after"]] == ["2022-11-10"] for w in workers)
    # December 2022 falls by exactly 100 x Rp 16,800; November does not change.
    months = {c["month"]: c for c in first["changes"]["contributions"]}
    december = months["2022-12"]
    assert december["before_idr"] - december["after_idr"] == 100 * 16_800 == 1_680_000
    assert (december["before_workers"], december["after_workers"]) == (2000, 1900)
    assert "2022-10" not in months and "2022-11" not in months
    assert sorted(months) == ["2022-12"] + [f"2023-{m:02d}" for m in range(1, 13)]
    assert first["changes"]["quota"] == [{"agreement_number": AGREEMENT, "term_number": 2,
                                          "quota": 2000, "before": 2000, "after": 1900}]
    assert contributions(admin, agreement_id) == owed_before  # nothing written

    # A write to one of those workers between the preview and the apply: stale.
    correction = admin.post(f"/api/v1/workers/{dead[17]}/corrections",
                            json={"reason": "ejaan nama", "occupation": "nelayan"})
    assert correction.status_code == 201, correction.json
    stale = admin.post(f"{CORRECTIONS}/{first['preview_id']}/apply", json={})
    assert (stale.status_code, stale.json["code"]) == (409, "stale_preview")
    assert contributions(admin, agreement_id) == owed_before

    # Previewed again and applied: the agreement's contributions equal the preview's after.
    second = preview()
    assert second["changes"] == first["changes"]
    applied = admin.post(f"{CORRECTIONS}/{second['preview_id']}/apply", json={})
    assert applied.status_code == 201, applied.json
    owed_after = contributions(admin, agreement_id)
    for change in second["changes"]["contributions"]:
        assert owed_after[change["month"]] == change["after_idr"]
    assert owed_after["2022-11"] == owed_before["2022-11"]
    assert owed_before["2022-12"] - owed_after["2022-12"] == 1_680_000
    coverage = admin.get(f"/api/v1/workers/{dead[0]}/coverage?on=2022-11-11").json
    assert coverage["covered"] is False
    assert admin.get(f"/api/v1/workers/{dead[0]}/coverage?on=2022-11-10").json["covered"]

    # A second apply: 409, and nothing written twice.
    again = admin.post(f"{CORRECTIONS}/{second['preview_id']}/apply", json={})
    assert (again.status_code, again.json["code"]) == (409, "preview_already_applied")
    assert contributions(admin, agreement_id) == owed_after
