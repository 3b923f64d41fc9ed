"""After a corrections file is applied, the reads equal the preview's `after`, for every
kind of action, on both engines: coverage, contributions and quota.

The story: the Labuhanbatu Selatan PKS (October to December 2022, Rp 16,800 a
worker and month) with six workers, and a second PKS in Medan for the worker
enrolled into the wrong agreement.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.builders import (
    AGREEMENTS,
    CTX,
    enroll_worker,
    enrollment_request,
    nik,
    sign_labusel_pks,
)

CORRECTIONS = "/api/v1/corrections"
LABUSEL, MEDAN = "PKS-LABUSEL-2022", "PKS-MEDAN-2022"

FILES: dict[str, list[dict[str, Any]]] = {
    "void": [{"action": "void", "agreement_number": LABUSEL, "nik": nik(1)}],
    "disenroll": [
        {"action": "disenroll", "agreement_number": LABUSEL, "nik": nik(2),
         "ends_on": "2022-11-10", "reason_code": "DECEASED"},
        {"action": "disenroll", "agreement_number": LABUSEL, "nik": nik(3),
         "ends_on": "2022-10-31", "reason_code": "MOVED_AWAY", "reason": "pindah ke Riau"}],
    "correct": [{"action": "correct", "nik": nik(4), "name": "Pekerja Empat",
                 "occupation": "nelayan"}],
    "enroll": [{"action": "enroll", "agreement_number": LABUSEL, "nik": nik(7),
                "name": "Pekerja 7", "occupation": "petani", "starts_on": "2022-12-01"}],
    # A worker enrolled into the wrong agreement: voided there, enrolled where it belongs.
    "moved": [{"action": "void", "agreement_number": LABUSEL, "nik": nik(5)},
              {"action": "enroll", "agreement_number": MEDAN, "nik": nik(5),
               "name": "Pekerja 5", "occupation": "petani", "starts_on": "2022-11-01"}],
}


def story(registry: Any) -> dict[str, str]:
    labusel = sign_labusel_pks(registry)
    medan = sign_labusel_pks(registry, agreement_number=MEDAN, region_code="12.71",
                             region_name="Kota Medan", quota=10)
    for i in range(1, 7):
        enroll_worker(registry, labusel, i)
    # Worker 6 moved away at the end of October: an ended enrollment.
    registry.app.disenroll_worker(CTX, labusel, nik(6), ends_on=date(2022, 10, 31),
                                  reason_code="MOVED_AWAY")
    assert registry.app.enroll_worker(CTX, medan, enrollment_request(8))
    return {LABUSEL: str(labusel), MEDAN: str(medan)}


def read_back(admin: Any, ids: dict[str, str], preview: dict[str, Any]) -> dict[str, Any]:
    """The same figures as the preview's `after`, from the reads."""
    workers = []
    for change in preview["changes"]["workers"]:
        answer = admin.get(f"/api/v1/workers/{change['nik']}")
        found = answer.json if answer.status_code == 200 else {"coverages": []}
        periods = sorted(({"agreement_number": c["agreement_number"], "programs": c["programs"],
                           "starts_on": c["starts_on"], "ends_on": c["covered_until"]}
                          for c in found["coverages"] if c["status"] != "voided"),
                         key=lambda p: (p["starts_on"], p["agreement_number"], p["ends_on"]))
        workers.append((change["nik"], periods,
                        {k: found.get(k) for k in change.get("details", {}).get("after", {})}))
    money = []
    for row in preview["changes"]["contributions"]:
        owed = admin.get(f"{AGREEMENTS}/{ids[row['agreement_number']]}/contributions"
                         f"?from={row['month']}&to={row['month']}").json
        money.append((row["agreement_number"], row["month"], owed["months"][0]["workers"],
                      owed["months"][0]["amount_idr"]))
    quota = []
    for row in preview["changes"]["quota"]:
        agreement = admin.get(f"{AGREEMENTS}/{ids[row['agreement_number']]}").json
        quota.append((row["agreement_number"], row["term_number"],
                      agreement["terms"][row["term_number"] - 1]["enrolled"]))
    return {"workers": workers, "money": money, "quota": quota}


def previewed_after(preview: dict[str, Any]) -> dict[str, Any]:
    changes = preview["changes"]
    return {
        "workers": [(w["nik"], w["after"], w.get("details", {}).get("after", {}))
                    for w in changes["workers"]],
        "money": [(c["agreement_number"], c["month"], c["after_workers"], c["after_idr"])
                  for c in changes["contributions"]],
        "quota": [(q["agreement_number"], q["term_number"], q["after"])
                  for q in changes["quota"]],
    }


@pytest.mark.parametrize("kind", list(FILES))
def test_after_applying_a_preview_the_reads_equal_its_after(registry, admin, kind):
    ids = story(registry)
    # Preview.
    body = {"reason": "koreksi data Dinas", "corrections": FILES[kind]}
    preview = admin.post(f"{CORRECTIONS}/preview", json=body)
    assert preview.status_code == 200, preview.json
    assert preview.json["rejected"] == 0, preview.json["rows"]
    changes = preview.json["changes"]
    assert changes["workers"], "every kind of action changes some worker"
    assert read_back(admin, ids, preview.json) != previewed_after(preview.json)
    # Apply.
    applied = admin.post(f"{CORRECTIONS}/{preview.json['preview_id']}/apply", json={})
    assert applied.status_code == 201, applied.json
    assert applied.json["changes"] == changes
    # Read.
    assert read_back(admin, ids, preview.json) == previewed_after(preview.json)


def test_what_each_kind_of_action_changes_is_what_its_rule_says(registry, admin):
    ids = story(registry)
    body = {"reason": "koreksi", "corrections": [row for rows in FILES.values() for row in rows]}
    preview = admin.post(f"{CORRECTIONS}/preview", json=body).json
    assert preview["rejected"] == 0, preview["rows"]
    by_nik = {w["nik"]: w for w in preview["changes"]["workers"]}
    period = {"agreement_number": LABUSEL, "programs": ["JKK", "JKM"],
              "starts_on": "2022-10-01", "ends_on": "2022-12-31"}
    # A void leaves no coverage at all; a death ends it on the day; so does moving away.
    assert by_nik[nik(1)]["after"] == []
    assert by_nik[nik(2)]["after"] == [{**period, "ends_on": "2022-11-10"}]
    assert by_nik[nik(3)]["after"] == [{**period, "ends_on": "2022-10-31"}]
    # A correction changes details, not coverage.
    assert by_nik[nik(4)]["before"] == by_nik[nik(4)]["after"] == [period]
    assert by_nik[nik(4)]["details"]["after"]["name"] == "Pekerja Empat"
    # A new worker from December; a worker moved to the Medan PKS from November.
    assert by_nik[nik(7)] == {"nik": nik(7), "before": [],
                              "after": [{**period, "starts_on": "2022-12-01"}]}
    assert by_nik[nik(5)]["after"] == [{**period, "agreement_number": MEDAN,
                                        "starts_on": "2022-11-01"}]
    # A month bills every worker whose coverage overlaps it; a slot is held from
    # enrollment until a void or a disenrollment.
    money = {(c["agreement_number"], c["month"]): (c["before_workers"], c["after_workers"])
             for c in preview["changes"]["contributions"]}
    assert money == {
        (LABUSEL, "2022-10"): (6, 4),  # voided: 1 and 5
        (LABUSEL, "2022-11"): (5, 2),  # and 3, who moved away on 31 October
        (LABUSEL, "2022-12"): (5, 2),  # less 2, dead since 10 November; plus 7
        (MEDAN, "2022-11"): (1, 2),
        (MEDAN, "2022-12"): (1, 2),
    }
    quota = {(q["agreement_number"], q["term_number"]): (q["before"], q["after"])
             for q in preview["changes"]["quota"]}
    assert quota == {(LABUSEL, 1): (5, 2), (MEDAN, 1): (1, 2)}
    applied = admin.post(f"{CORRECTIONS}/{preview['preview_id']}/apply", json={})
    assert applied.status_code == 201, applied.json
    assert read_back(admin, ids, preview) == previewed_after(preview)
