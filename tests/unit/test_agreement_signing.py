"""Signing an agreement: what is refused and why, and what the signed record says."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain.agreement import Agreement
from registry.domain.errors import ValidationFailed
from tests.unit.given import labusel, medan_mou


def refused(**overrides: object) -> dict[str, str] | None:
    with pytest.raises(ValidationFailed) as raised:
        labusel(**overrides)
    return raised.value.errors


@pytest.mark.parametrize(("overrides", "errors"), [
    ({"agreement_number": "  "}, {"agreement_number": "must not be blank"}),
    ({"kind": "NOTA"}, {"kind": "must be one of MOU, PKS"}),
    ({"region_code": "12.2"},
     {"region_code": 'must be a Kemendagri code such as "12" or "12.75"'}),
    ({"funding_source": "DANA_DESA"},
     {"funding_source": "must be one of APBD, APBDES, CSR, OTHER"}),
    ({"programs": ["JKK", "JP"]}, {"programs": "JP exist only for wage earners"}),
    ({"quota": 0}, {"quota": "must be at least 1"}),
    ({"quota": None}, {"quota": "is required for a PKS"}),
    ({"monthly_contribution_idr": -1}, {"monthly_contribution_idr": "must not be negative"}),
    ({"starts_on": date(2023, 1, 1)}, {"ends_on": "must not be before starts_on"}),
])
def test_a_bad_field_is_refused_saying_which_and_why(overrides, errors):
    assert refused(**overrides) == errors


def test_only_a_pks_can_have_a_parent():
    province = medan_mou(agreement_number="MOU-SUMUT", region_code="12")
    assert refused(kind="MOU", parent=province) == {"parent_id": "only a PKS can have a parent"}


def test_the_parent_must_be_an_mou():
    pks = medan_mou(kind="PKS")
    assert refused(parent=pks) == {"parent_id": "the parent must be an MOU"}


def test_the_parents_region_must_contain_the_childs():
    medan = medan_mou()
    assert refused(parent=medan) == {
        "parent_id": "the parent's region 12.71 does not contain 12.22"}


def test_a_pks_signs_under_an_mou_of_its_own_region_and_names_it():
    medan = medan_mou()
    child = labusel(agreement_number="PKS-MEDAN-DINSOS", region_code="12.71", parent=medan)
    assert child.parent_id == medan.id
    assert child.document()["parent_id"] == str(medan.id)


def test_the_signed_record_keeps_every_field_as_given():
    # Sign, with everything an agreement may say.
    agreement = labusel(
        agreement_number="  PKS-LABUSEL-2022 ",
        title="Perlindungan pekerja rentan",
        signatories=[{"name": "Edimin", "role": "Bupati"}],
        document_ref="arsip/2022/PKS-17.pdf",
        funding_source="APBDES",
        programs=["JKM", "JKK", "JKM"],
    )

    # The number is trimmed, the programs kept once each in canonical order.
    assert agreement.document() == {
        "id": str(Agreement.create_id("PKS-LABUSEL-2022")),
        "agreement_number": "PKS-LABUSEL-2022",
        "kind": "PKS",
        "parent_id": None,
        "title": "Perlindungan pekerja rentan",
        "region_code": "12.22",
        "region_name": "Kabupaten Labuhanbatu Selatan",
        "sponsor": "Pemerintah Kabupaten Labuhanbatu Selatan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Rantauprapat",
        "signed_on": "2022-10-04",
        "signatories": [{"name": "Edimin", "role": "Bupati"}],
        "funding_source": "APBDES",
        "programs": ["JKK", "JKM"],
        "document_ref": "arsip/2022/PKS-17.pdf",
        "terms": [{"starts_on": "2022-10-01", "ends_on": "2022-12-31", "quota": 2000,
                   "monthly_contribution_idr": 16_800, "enrolled": 0}],
        "terminated_on": None,
        "termination_reason": None,
        "version": 1,
    }


def test_the_signing_event_says_who_signed_it_in_which_request():
    [event] = labusel().collect_events()
    assert (event.actor, event.request_id) == ("registrar:labusel", "req-1")
    assert event.signatories == [] and event.title is None and event.document_ref is None


def test_an_mou_without_a_quota_has_none():
    assert medan_mou(quota=None).current_quota() is None


def test_a_contribution_of_zero_is_kept_not_replaced_by_the_default():
    assert labusel(monthly_contribution_idr=0).terms[0].monthly_contribution_idr == 0
