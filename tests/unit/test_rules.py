"""The rules that live once in registry/domain and are used everywhere else."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.coverage_rules import (
    covered_on,
    covered_until,
    covers,
    enrollment_status_on,
)
from registry.domain.errors import ValidationFailed
from registry.domain.parents import check_parent, visible_parent
from registry.domain.programs import normalised
from registry.domain.targets import realised_percent, target_workers
from registry.domain.term import Term, standing_of, standing_on
from tests.unit.test_agreement import sign, sign_medan_mou

OCT1, NOV15, NOV30, DEC31 = date(2022, 10, 1), date(2022, 11, 15), date(2022, 11, 30), date(
    2022, 12, 31)


# An enrollment's status and the days it covers.

@pytest.mark.parametrize(("recorded", "starts_on", "until", "on", "status"), [
    ("active", OCT1, DEC31, date(2022, 9, 30), "pending"),
    ("active", OCT1, DEC31, OCT1, "active"),
    ("active", OCT1, DEC31, DEC31, "active"),
    ("active", OCT1, DEC31, date(2023, 1, 1), "ended"),
    ("ended", OCT1, NOV15, NOV15, "active"),  # its last covered day
    ("ended", OCT1, NOV15, date(2022, 11, 16), "ended"),
    ("ended", NOV15, NOV15, date(2022, 11, 1), "pending"),
    ("voided", OCT1, DEC31, NOV15, "voided"),
    ("active", date(2022, 12, 1), NOV30, date(2022, 11, 1), "ended"),  # terminated before
])
def test_an_enrollments_status_on_a_day(recorded, starts_on, until, on, status):
    assert enrollment_status_on(recorded, starts_on, until, on) == status


@pytest.mark.parametrize(("recorded", "starts_on", "until", "first", "last", "covered"), [
    ("active", OCT1, DEC31, date(2022, 9, 1), date(2022, 9, 30), False),
    ("active", OCT1, DEC31, date(2022, 9, 1), OCT1, True),  # one day of the period
    ("active", OCT1, DEC31, DEC31, date(2023, 1, 31), True),
    ("active", OCT1, DEC31, date(2023, 1, 1), date(2023, 1, 31), False),
    ("ended", OCT1, NOV15, date(2022, 11, 16), NOV30, False),
    ("voided", OCT1, DEC31, OCT1, DEC31, False),  # it never covered anyone
    ("active", date(2022, 12, 1), NOV30, OCT1, DEC31, False),  # terminated before it began
])
def test_an_enrollment_covers_a_period_when_it_covers_one_of_its_days(
        recorded, starts_on, until, first, last, covered):
    assert covers(recorded, starts_on, until, first, last) is covered


@pytest.mark.parametrize("recorded", ["active", "ended", "voided"])
@pytest.mark.parametrize(("starts_on", "until"), [(OCT1, DEC31), (NOV15, NOV15),
                                                   (date(2022, 12, 1), NOV30)])
def test_covered_on_a_day_is_being_active_that_day(recorded, starts_on, until):
    for day in (date(2022, 9, 30), OCT1, NOV15, NOV30, date(2022, 12, 1), DEC31):
        assert covered_on(recorded, starts_on, until, day) is (
            enrollment_status_on(recorded, starts_on, until, day) == "active")


def test_a_termination_ends_coverage_early_but_never_extends_it():
    assert covered_until(DEC31, None) == DEC31
    assert covered_until(DEC31, NOV30) == NOV30
    assert covered_until(NOV15, NOV30) == NOV15


# An agreement's standing on a date, from the aggregate or from its document.

def test_the_standing_of_a_document_is_the_standing_of_the_agreement():
    agreement = sign()
    agreement.renew(Context("tester"), ends_on=date(2023, 12, 31), starts_on=date(2023, 3, 1),
                    quota=100)
    agreement.terminate(Context("tester"), ends_on=date(2023, 6, 30), reason="anggaran habis")
    document = agreement.document()
    for on in (date(2022, 9, 1), NOV15, date(2023, 2, 1), date(2023, 3, 1), date(2023, 7, 1)):
        standing = standing_on(agreement.terms, agreement.terminated_on, on)
        assert standing_of(document, on) == standing
        assert standing.status == agreement.status_on(on)
        assert standing.current_term == agreement.current_term_index(on) + 1
    assert standing_of(document, date(2023, 2, 1)).status == "lapsed"
    assert standing_of(document, date(2023, 7, 1)).status == "terminated"


def test_a_terms_document_reads_back_as_the_term():
    term = Term(OCT1, DEC31, 2000, 16_800, 12)
    assert Term.from_document({**term.document(), "term_number": 1}) == term


# The parent of a PKS.

def test_an_unknown_parent_and_one_outside_the_signers_regions_are_refused_alike():
    medan = sign_medan_mou()
    refusals = []
    for found, regions in ((None, None), (medan, ("12.22",)), (medan, ("36",))):
        with pytest.raises(ValidationFailed) as raised:
            visible_parent(found, regions)
        refusals.append((raised.value.detail, raised.value.errors))
    assert refusals == [("parent_id: no agreement with this id",
                         {"parent_id": "no agreement with this id"})] * 3
    assert visible_parent(medan, None) is medan
    assert visible_parent(medan, ("12",)) is medan  # the province sees its cities


@pytest.mark.parametrize(("regions", "kind", "region_code", "fits"), [
    (None, "PKS", "12.71", True),
    (("12.71",), "PKS", "12.71", True),
    (("12.22",), "PKS", "12.22", False),  # cannot see Medan's MOU
    (None, "MOU", "12.71", False),  # only a PKS has a parent
    (None, "PKS", "12.22", False),  # Kota Medan does not contain Labuhanbatu Selatan
])
def test_a_parent_is_a_visible_mou_containing_the_childs_region(regions, kind, region_code,
                                                                  fits):
    medan: Any = sign_medan_mou()
    if fits:
        check_parent(medan, regions, kind, region_code)
    else:
        with pytest.raises(ValidationFailed) as raised:
            check_parent(medan, regions, kind, region_code)
        assert list(raised.value.errors) == ["parent_id"]


def test_signing_refuses_a_parent_the_signer_may_not_see():
    medan = sign_medan_mou()
    dinsos = sign(agreement_number="PKS-MEDAN-DINSOS", region_code="12.71", parent=medan)
    registrar = Context("registrar", regions=("12.22",))
    with pytest.raises(ValidationFailed) as raised:
        Agreement.sign(registrar, **{**signed_fields(dinsos), "parent": medan})
    assert raised.value.errors == {"parent_id": "no agreement with this id"}


def signed_fields(agreement: Agreement) -> dict[str, Any]:
    """What signing `agreement` was given, to sign it again."""
    term = agreement.terms[0]
    return {"agreement_number": agreement.agreement_number, "kind": agreement.kind,
            "region_code": agreement.region_code, "region_name": agreement.region_name,
            "sponsor": agreement.sponsor, "bpjs_office": agreement.bpjs_office,
            "signed_on": agreement.signed_on, "funding_source": agreement.funding_source,
            "programs": agreement.programs, "starts_on": term.starts_on,
            "ends_on": term.ends_on, "quota": term.quota}


# Programs and UCJ targets.

def test_programs_read_in_the_registrys_order_without_repeats():
    assert normalised(["JHT", "JKM", "JKK", "JKM"]) == ["JKK", "JKM", "JHT"]


@pytest.mark.parametrize(("workforce", "percent", "target"), [
    (97_775, 32.48, 31_757), (97_775, 37.10, 36_275), (3, 50.0, 2), (1, 100.0, 1)])
def test_a_target_is_a_share_of_the_workforce_in_whole_workers(workforce, percent, target):
    assert target_workers(workforce, percent) == target


def test_the_realised_share_is_a_percent_with_two_decimals():
    assert realised_percent(24_386, 97_775) == 24.94
    assert realised_percent(0, 10) == 0.0
    assert realised_percent(1, 3) == 33.33
