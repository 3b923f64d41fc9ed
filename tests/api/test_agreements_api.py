"""/api/v1/agreements through the Flask test client: the README walkthrough and more."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from registry.domain.dates import utc_iso
from tests.builders import AGREEMENTS, labusel_pks, medan_mou, medan_pks, post_agreement
from tests.callers import assert_problem


def opd_pks(parent_id: str, number: str, quota: int, **overrides: Any) -> dict[str, Any]:
    """A Kota Medan department's PKS under the city's MOU, signed on 1 February 2025."""
    return medan_pks(agreement_number=number, signed_on="2025-02-01", parent_id=parent_id,
                     quota=quota, **overrides)


def serang_mou() -> dict[str, Any]:
    return medan_mou(agreement_number="MOU-SERANG-2024", region_code="36.73",
                     region_name="Kota Serang", sponsor="Pemerintah Kota Serang",
                     signed_on="2024-01-10", starts_on="2024-01-01", ends_on="2024-12-31",
                     quota=None)


def test_the_readme_walkthrough(admin, registry):
    # Sign the Labuhanbatu Selatan PKS.
    signed = admin.post(AGREEMENTS, json=labusel_pks())
    assert signed.status_code == 201
    agreement_id = signed.json["id"]
    assert signed.headers["Location"].endswith(f"{AGREEMENTS}/{agreement_id}")
    assert signed.headers["ETag"] == '"1"'
    assert signed.json["version"] == 1
    assert signed.json["position"] >= 1
    assert signed.json["programs"] == ["JKK", "JKM"]
    assert signed.json["terms"] == [{
        "term_number": 1, "starts_on": "2022-10-01", "ends_on": "2022-12-31",
        "quota": 2000, "monthly_contribution_idr": 16_800, "enrolled": 0}]

    # Renew it for 2023.
    renewed = admin.post(f"{AGREEMENTS}/{agreement_id}/renewals", json={"ends_on": "2023-12-31"})
    assert renewed.status_code == 201
    assert renewed.headers["ETag"] == '"2"'
    assert renewed.json["position"] > signed.json["position"]
    assert [t["starts_on"] for t in renewed.json["terms"]] == ["2022-10-01", "2023-01-01"]
    assert renewed.json["terms"][1]["quota"] == 2000

    # Read it back as of 1 November 2022: active in its first term.
    on_nov = admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01")
    assert on_nov.status_code == 200
    assert on_nov.headers["ETag"] == '"2"'
    assert (on_nov.json["status"], on_nov.json["current_term"]) == ("active", 1)
    assert on_nov.json["on"] == "2022-11-01"

    # Version 1 is the agreement as signed.
    first = admin.get(f"{AGREEMENTS}/{agreement_id}?version=1")
    assert first.status_code == 200
    assert first.headers["ETag"] == '"1"'
    assert len(first.json["terms"]) == 1

    # In March 2023 it is active in its second term.
    on_march = admin.get(f"{AGREEMENTS}/{agreement_id}?on=2023-03-01")
    assert (on_march.json["status"], on_march.json["current_term"]) == ("active", 2)

    # As the registry knew it when it was signed: one term.
    signed_at = next(iter(registry.app.events.get(UUID(agreement_id))))
    known = admin.get(f"{AGREEMENTS}/{agreement_id}?known_at={utc_iso(signed_at.timestamp)}")
    assert known.status_code == 200
    assert len(known.json["terms"]) == 1
    assert known.json["known_at"] == utc_iso(signed_at.timestamp)


def test_known_at_before_the_signing_is_not_found(admin):
    agreement = post_agreement(admin, labusel_pks())
    response = admin.get(f"{AGREEMENTS}/{agreement['id']}?known_at=2020-01-01T00:00:00Z")
    assert_problem(response, 404, "not_found")


def test_a_version_that_does_not_exist_is_not_found(admin):
    agreement = post_agreement(admin, labusel_pks())
    assert_problem(admin.get(f"{AGREEMENTS}/{agreement['id']}?version=2"), 404, "not_found")


def test_amendments_honour_if_match(admin):
    agreement = post_agreement(admin, labusel_pks())
    url = f"{AGREEMENTS}/{agreement['id']}/amendments"
    change = {"effective_on": "2022-11-01", "reason": "APBD-P adds 500", "quota": 2500}

    # Amend at version 1.
    amended = admin.post(url, json=change, headers={"If-Match": '"1"'})
    assert amended.status_code == 200
    assert amended.headers["ETag"] == '"2"'
    assert amended.json["terms"][0]["quota"] == 2500
    assert "Location" not in amended.headers

    # Fail to amend again naming the stale version.
    stale = admin.post(url, json={**change, "quota": 3000}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412, "precondition_failed")
    assert admin.get(f"{AGREEMENTS}/{agreement['id']}").json["terms"][0]["quota"] == 2500

    # Without If-Match the write goes through.
    assert admin.post(url, json={**change, "title": "Judul baru"}).json["title"] == "Judul baru"


def test_an_amendment_outside_every_term_is_an_invalid_transition(admin):
    agreement = post_agreement(admin, labusel_pks())
    response = admin.post(f"{AGREEMENTS}/{agreement['id']}/amendments",
                          json={"effective_on": "2023-02-01", "reason": "late", "quota": 10})
    assert_problem(response, 409, "invalid_transition")


def test_a_terminated_agreement_cannot_be_renewed_or_terminated_again(admin):
    agreement = post_agreement(admin, labusel_pks())
    url = f"{AGREEMENTS}/{agreement['id']}"

    # Terminate.
    ended = admin.post(f"{url}/termination", json={"ends_on": "2022-11-30", "reason": "budget"})
    assert ended.status_code == 200
    assert ended.json["terminated_on"] == "2022-11-30"
    assert ended.json["termination_reason"] == "budget"

    # Fail to renew. Fail to terminate again.
    assert_problem(admin.post(f"{url}/renewals", json={"ends_on": "2023-12-31"}),
                   409, "invalid_transition")
    assert_problem(admin.post(f"{url}/termination", json={"ends_on": "2022-11-15",
                                                          "reason": "again"}),
                   409, "invalid_transition")
    assert admin.get(f"{url}?on=2022-12-01").json["status"] == "terminated"


def test_a_renewal_starting_inside_the_last_term_is_refused(admin):
    agreement = post_agreement(admin, labusel_pks())
    response = admin.post(f"{AGREEMENTS}/{agreement['id']}/renewals",
                          json={"starts_on": "2022-12-01", "ends_on": "2023-12-31"})
    body = assert_problem(response, 422, "validation_failed")
    assert "starts_on" in body["errors"]


@pytest.mark.parametrize("number", ["PKS-LABUSEL-2022", " pks-labusel-2022 "])
def test_an_agreement_number_is_unique(admin, number):
    post_agreement(admin, labusel_pks())
    body = assert_problem(admin.post(AGREEMENTS, json=labusel_pks(agreement_number=number)),
                          409, "duplicate_agreement_number")
    assert "agreement_number" in body["errors"]


@pytest.fixture
def listed(admin):
    """Labuhanbatu Selatan (renewed after a gap), Medan's MOU and a PKS under it, Serang."""
    labusel = post_agreement(admin, labusel_pks())
    admin.post(f"{AGREEMENTS}/{labusel['id']}/renewals",
               json={"starts_on": "2023-03-01", "ends_on": "2023-12-31"})
    medan = post_agreement(admin, medan_mou())
    dinsos = post_agreement(admin, opd_pks(medan["id"], "PKS-MEDAN-DINSOS", 4000))
    serang = post_agreement(admin, serang_mou())
    return {"labusel": labusel["id"], "medan": medan["id"], "dinsos": dinsos["id"],
            "serang": serang["id"]}


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["labusel", "medan", "dinsos", "serang"]),
    ("region_code=12", ["labusel", "medan", "dinsos"]),
    ("region_code=12.22", ["labusel"]),
    ("region_code=12.71", ["medan", "dinsos"]),
    ("region_code=36", ["serang"]),
    ("region_code=35", []),
    ("kind=MOU", ["medan", "serang"]),
    ("kind=PKS", ["labusel", "dinsos"]),
    ("kind=PKS&region_code=12.71", ["dinsos"]),
    ("status=active&on=2022-11-01", ["labusel"]),
    ("status=lapsed&on=2023-02-01", ["labusel"]),
    ("status=pending&on=2023-02-01", ["medan", "dinsos", "serang"]),
    ("status=active&on=2024-06-01", ["serang"]),
    ("status=expired&on=2026-01-01", ["labusel", "medan", "dinsos", "serang"]),
    ("status=terminated&on=2026-01-01", []),
])
def test_the_list_filters(admin, listed, query, expected):
    response = admin.get(f"{AGREEMENTS}?{query}")
    assert response.status_code == 200
    assert [item["id"] for item in response.json["items"]] == [listed[n] for n in expected]
    assert response.json["next_after"] is None


def test_the_list_filters_by_parent_and_shows_status_on_the_date(admin, listed):
    response = admin.get(f"{AGREEMENTS}?parent_id={listed['medan']}&on=2025-03-01")
    assert [i["id"] for i in response.json["items"]] == [listed["dinsos"]]
    assert response.json["items"][0]["status"] == "active"
    assert response.json["items"][0]["parent_id"] == listed["medan"]


def test_a_terminated_agreement_is_listed_as_terminated_after_its_end(admin, listed):
    admin.post(f"{AGREEMENTS}/{listed['serang']}/termination",
               json={"ends_on": "2024-06-30", "reason": "merged"})
    ids = lambda q: [i["id"] for i in admin.get(f"{AGREEMENTS}?{q}").json["items"]]  # noqa: E731
    assert ids("status=terminated&on=2024-07-01") == [listed["serang"]]
    assert ids("status=active&on=2024-06-30") == [listed["serang"]]
    assert ids("status=active&on=2024-07-01") == []


def test_the_list_pages_with_a_cursor(admin, listed):
    seen, after, pages = [], 0, 0
    while True:
        page = admin.get(f"{AGREEMENTS}?limit=1&after={after}").json
        pages += 1
        seen += [item["id"] for item in page["items"]]
        if page["next_after"] is None:
            break
        assert len(page["items"]) == 1
        after = page["next_after"]
    assert seen == [listed[n] for n in ("labusel", "medan", "dinsos", "serang")]
    assert pages == 4

    two = admin.get(f"{AGREEMENTS}?limit=2").json
    assert [i["id"] for i in two["items"]] == [listed["labusel"], listed["medan"]]
    rest = admin.get(f"{AGREEMENTS}?limit=2&after={two['next_after']}").json
    assert [i["id"] for i in rest["items"]] == [listed["dinsos"], listed["serang"]]
    assert rest["next_after"] is None


def test_lists_only_show_what_the_token_may_see(as_role, listed):
    registrar = as_role("registrar", "12.22")
    auditor = as_role("auditor", "12.71", "36")
    assert [i["id"] for i in registrar.get(AGREEMENTS).json["items"]] == [listed["labusel"]]
    assert [i["id"] for i in registrar.get(f"{AGREEMENTS}?region_code=12").json["items"]] == [
        listed["labusel"]]
    assert [i["id"] for i in auditor.get(AGREEMENTS).json["items"]] == [
        listed["medan"], listed["dinsos"], listed["serang"]]
    assert auditor.get(f"{AGREEMENTS}/{listed['serang']}").status_code == 200
    assert_problem(auditor.get(f"{AGREEMENTS}/{listed['labusel']}"), 404, "not_found")


def test_childrens_quotas_may_not_exceed_the_mous(admin):
    # Sign the Medan MOU (10,000) and a PKS under it for 6,000.
    medan = post_agreement(admin, medan_mou())
    dinsos = post_agreement(admin, opd_pks(medan["id"], "PKS-MEDAN-DINSOS", 6000))
    assert dinsos["parent_id"] == medan["id"]

    # Fail to sign a second PKS for 5,000. Sign it for 4,000.
    over = admin.post(AGREEMENTS, json=opd_pks(medan["id"], "PKS-MEDAN-DISHUB", 5000))
    assert_problem(over, 409, "quota_exceeded")
    dishub = post_agreement(admin, opd_pks(medan["id"], "PKS-MEDAN-DISHUB", 4000))

    # Fail to amend the first PKS up to 6,001.
    amend = admin.post(f"{AGREEMENTS}/{dinsos['id']}/amendments",
                       json={"effective_on": "2025-03-01", "reason": "more", "quota": 6001})
    assert_problem(amend, 409, "quota_exceeded")

    # Terminate the second: its quota is released for a third.
    admin.post(f"{AGREEMENTS}/{dishub['id']}/termination",
               json={"ends_on": "2025-03-31", "reason": "merged into Dinsos"})
    post_agreement(admin, opd_pks(medan["id"], "PKS-MEDAN-DISPORA", 4000))


@pytest.mark.parametrize(("parent", "child"), [
    ({}, {"region_code": "12.22", "region_name": "Kabupaten Labuhanbatu Selatan"}),
    ({}, {"kind": "MOU"}),
    ({"kind": "PKS"}, {}),
])
def test_the_parent_must_be_an_mou_containing_the_child(admin, parent, child):
    medan = post_agreement(admin, medan_mou(**parent))
    response = admin.post(AGREEMENTS, json=opd_pks(medan["id"], "PKS-CHILD", 10, **child))
    assert "parent_id" in assert_problem(response, 422, "validation_failed")["errors"]


def test_an_unknown_or_invisible_parent_is_a_validation_error(admin, as_role):
    medan = post_agreement(admin, medan_mou())
    unknown = admin.post(AGREEMENTS, json=opd_pks("00000000-0000-4000-8000-000000000000",
                                                    "PKS-X", 10))
    assert assert_problem(unknown, 422, "validation_failed")["errors"] == {
        "parent_id": "no agreement with this id"}
    # A registrar of Kabupaten Labuhanbatu Selatan cannot see Medan's MOU.
    registrar = as_role("registrar", "12.22")
    invisible = registrar.post(AGREEMENTS, json=labusel_pks(parent_id=medan["id"]))
    assert "parent_id" in assert_problem(invisible, 422, "validation_failed")["errors"]


def test_a_registrar_writes_within_its_province(as_role):
    registrar = as_role("registrar", "12")
    agreement = post_agreement(registrar, labusel_pks())
    renewed = registrar.post(f"{AGREEMENTS}/{agreement['id']}/renewals",
                             json={"ends_on": "2023-12-31", "carry_over": False})
    assert renewed.status_code == 201
    assert renewed.json["terms"][1]["enrolled"] == 0
