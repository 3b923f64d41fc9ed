"""The MoU tree: an MoU lists the PKS under it, and owes what they owe; a region's
agreements' contributions added up."""

from __future__ import annotations

from datetime import date

from registry.domain import nik as niks
from tests.builders import AGREEMENTS, medan_mou, medan_pks, post_agreement, post_labusel_pks
from tests.callers import assert_problem


def medan_worker(i: int) -> dict[str, str]:
    return {"nik": niks.make("12.71", 5, date(1979, 8, 9), "F", 100 + i), "name": f"Ibu {i}",
            "occupation": "penyapu jalan", "starts_on": "2025-02-01"}


def enroll(admin, agreement_id: str, workers: list[dict[str, str]]) -> None:
    response = admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/batch",
                          json={"workers": workers})
    assert response.status_code == 201, response.get_data(as_text=True)


def test_an_mou_lists_its_children_and_owes_what_they_owe(admin):
    # Sign Medan's MoU (JKK + JKM) and two OPD PKS under it: 2 and 3 workers.
    mou = post_agreement(admin, medan_mou())
    dkp = post_agreement(admin, medan_pks(agreement_number="PKS-DKP", parent_id=mou["id"],
                                          quota=40))
    dishub = post_agreement(admin, medan_pks(agreement_number="PKS-DISHUB",
                                             parent_id=mou["id"], quota=60))
    enroll(admin, dkp["id"], [medan_worker(i) for i in range(2)])
    enroll(admin, dishub["id"], [medan_worker(i) for i in range(2, 5)])

    # The MoU names its children, their quotas and workers.
    read = admin.get(f"{AGREEMENTS}/{mou['id']}?on=2025-03-01").json
    assert read["children"] == [
        {"id": dkp["id"], "agreement_number": "PKS-DKP", "quota": 40, "enrolled": 2},
        {"id": dishub["id"], "agreement_number": "PKS-DISHUB", "quota": 60, "enrolled": 3}]
    assert (read["allocated_quota"], read["enrolled_in_children"], read["enrolled"]) == (
        100, 5, 0)
    # As recorded before the second PKS was signed: one child.
    allocated = [e for e in admin.get(f"{AGREEMENTS}/{mou['id']}/history").json["events"]
                 if e["type"] == "ChildQuotaAllocated"]
    then = admin.get(f"{AGREEMENTS}/{mou['id']}",
                     query_string={"on": "2025-03-01", "known_at": allocated[0]["recorded_at"]})
    assert [c["agreement_number"] for c in then.json["children"]] == ["PKS-DKP"]
    assert then.json["enrolled_in_children"] == 0
    # A PKS is not a tree.
    assert "children" not in admin.get(f"{AGREEMENTS}/{dkp['id']}").json

    # February-March 2025: 5 workers x Rp 16,800 a month, the children's totals beside.
    owed = admin.get(f"{AGREEMENTS}/{mou['id']}/contributions?from=2025-02&to=2025-03").json
    assert owed["months"] == [{"month": "2025-02", "workers": 5, "amount_idr": 84_000},
                              {"month": "2025-03", "workers": 5, "amount_idr": 84_000}]
    assert owed["children"] == [
        {"agreement_id": dkp["id"], "agreement_number": "PKS-DKP", "total_idr": 67_200},
        {"agreement_id": dishub["id"], "agreement_number": "PKS-DISHUB", "total_idr": 100_800}]
    assert owed["own_total_idr"] == 0
    assert owed["total_idr"] == sum(c["total_idr"] for c in owed["children"]) == 168_000
    child = admin.get(f"{AGREEMENTS}/{dkp['id']}/contributions?from=2025-02&to=2025-03").json
    assert child["total_idr"] == 67_200


def test_a_regions_contributions_add_up_its_agreements(admin, as_role):
    mou = post_agreement(admin, medan_mou())
    dkp = post_agreement(admin, medan_pks(agreement_number="PKS-DKP", parent_id=mou["id"],
                                          quota=40))
    enroll(admin, dkp["id"], [medan_worker(i) for i in range(2)])
    post_labusel_pks(admin)  # in 12.22: not Medan's

    owed = admin.get("/api/v1/regions/12.71/contributions?from=2025-01&to=2025-02").json
    assert owed == {
        "region_code": "12.71",
        "months": [{"month": "2025-01", "workers": 0, "amount_idr": 0},
                   {"month": "2025-02", "workers": 2, "amount_idr": 33_600}],
        "total_idr": 33_600,
        "agreements": [{"agreement_id": dkp["id"], "agreement_number": "PKS-DKP",
                        "total_idr": 33_600}]}
    # The province takes in its cities; another province's token sees nothing of it.
    assert admin.get("/api/v1/regions/12/contributions?from=2025-02&to=2025-02"
                     ).json["total_idr"] == 33_600
    banten = as_role("registrar", "36")
    assert_problem(banten.get("/api/v1/regions/12.71/contributions?from=2025-02&to=2025-02"),
                   404, "not_found")
    assert_problem(admin.get("/api/v1/regions/12.71/contributions?from=2025-02"),
                   422, "validation_failed")
