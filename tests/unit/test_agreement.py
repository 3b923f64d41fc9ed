"""The Agreement aggregate used directly: its commands, guards and queries."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import reduce
from typing import Any

import pytest

from registry.config import Database
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.errors import InvalidTransition, NotFound, QuotaExceeded, ValidationFailed
from registry.domain.term import Term
from registry.service.application import RegistryApplication
from tests.builders import labusel_pks_fields, medan_mou_fields

ctx = Context("tester")


def sign(**overrides: Any) -> Agreement:
    """The Labuhanbatu Selatan PKS: 2,000 workers, JKK + JKM, Oct-Dec 2022."""
    return Agreement.sign(ctx, **labusel_pks_fields(**overrides))


def sign_medan_mou(**overrides: Any) -> Agreement:
    """The Kota Medan MOU of 2025: 10,000 workers, February to December."""
    return Agreement.sign(ctx, **medan_mou_fields(**overrides))


def sign_medan_pks(parent: Agreement, number: str, quota: int) -> Agreement:
    return sign(agreement_number=number, region_code="12.71", region_name="Kota Medan",
                signed_on=date(2025, 2, 1), starts_on=date(2025, 2, 1),
                ends_on=date(2025, 12, 31), quota=quota, parent=parent)


def test_signing_records_the_first_term_with_the_default_contribution():
    # Sign.
    agreement = sign()

    # The first term runs October to December 2022 at JKK + JKM per worker.
    assert agreement.agreement_number == "PKS-LABUSEL-2022"
    assert agreement.version == 1
    assert agreement.programs == ["JKK", "JKM"]
    assert agreement.terms == [Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800)]
    assert agreement.id == Agreement.create_id(" pks-labusel-2022 ")
    assert [type(e).__name__ for e in agreement.collect_events()] == ["AgreementSigned"]


@pytest.mark.parametrize(("programs", "expected"), [
    (["JKK"], 10_000),
    (["JKM"], 6_800),
    (["JHT"], 20_000),
    (["JKM", "JKK"], 16_800),
    (["JKK", "JKM", "JHT"], 36_800),
])
def test_the_default_monthly_contribution_is_the_sum_for_the_chosen_programs(programs, expected):
    assert sign(programs=programs).terms[0].monthly_contribution_idr == expected


def test_a_given_monthly_contribution_replaces_the_default():
    assert sign(monthly_contribution_idr=25_000).terms[0].monthly_contribution_idr == 25_000


def test_programs_are_kept_once_each_in_canonical_order():
    assert sign(programs=["JHT", "JKK", "JHT"]).programs == ["JKK", "JHT"]


@pytest.mark.parametrize("programs", [["JKK", "JP"], ["JKP"], ["JP", "JKP"]])
def test_wage_earner_programs_are_refused(programs):
    # Fail to sign with JP or JKP.
    with pytest.raises(ValidationFailed) as raised:
        sign(programs=programs)
    assert "wage earners" in raised.value.errors["programs"]


@pytest.mark.parametrize("programs", [["JKK", "BPJS"], ["jkk"], []])
def test_unknown_programs_and_no_programs_are_refused(programs):
    with pytest.raises(ValidationFailed) as raised:
        sign(programs=programs)
    assert list(raised.value.errors) == ["programs"]


def test_a_pks_needs_a_quota_but_an_mou_does_not():
    # Fail to sign a PKS without a quota.
    with pytest.raises(ValidationFailed) as raised:
        sign(quota=None)
    assert raised.value.errors == {"quota": "is required for a PKS"}

    # Sign an MOU without one.
    assert sign_medan_mou(quota=None).current_quota() is None


@pytest.mark.parametrize(("field", "value"), [
    ("quota", 0), ("quota", -5), ("monthly_contribution_idr", -1),
    ("kind", "NOTA"), ("funding_source", "DANA_DESA"), ("agreement_number", "   "),
])
def test_bad_field_values_are_refused_by_name(field, value):
    with pytest.raises(ValidationFailed) as raised:
        sign(**{field: value})
    assert list(raised.value.errors) == [field]


def test_a_reversed_period_is_refused():
    with pytest.raises(ValidationFailed) as raised:
        sign(starts_on=date(2022, 12, 31), ends_on=date(2022, 10, 1))
    assert raised.value.errors == {"ends_on": "must not be before starts_on"}


def test_a_one_day_period_is_allowed():
    assert sign(starts_on=date(2022, 10, 1), ends_on=date(2022, 10, 1)).status_on(
        date(2022, 10, 1)) == "active"




@pytest.mark.parametrize("code", [
    "1", "12.7", "abc", "", "12.22.01", "12-22", " 12.22",
    "12.22\n",
    "\u0661\u0662.\u0662\u0662",
])
def test_a_bad_region_code_is_refused(code):
    with pytest.raises(ValidationFailed) as raised:
        sign(region_code=code)
    assert list(raised.value.errors) == ["region_code"]


def test_a_pks_may_sign_under_an_mou_whose_region_contains_its_own():
    # Sign a provincial MOU and a regency PKS under it.
    province = sign_medan_mou(agreement_number="MOU-SUMUT", region_code="12")
    child = sign(parent=province)
    assert child.parent_id == province.id


@pytest.mark.parametrize(("parent_overrides", "child_overrides"), [
    ({"region_code": "12.71"}, {}),  # Medan does not contain Labuhanbatu Selatan
    ({"region_code": "36"}, {}),  # Banten does not contain it either
    ({"kind": "PKS"}, {}),  # the parent is not an MOU
    ({"region_code": "12"}, {"kind": "MOU"}),  # only a PKS can have a parent
])
def test_the_parent_must_be_an_mou_containing_the_childs_region(parent_overrides, child_overrides):
    parent = sign_medan_mou(**parent_overrides)
    with pytest.raises(ValidationFailed) as raised:
        sign(parent=parent, **child_overrides)
    assert list(raised.value.errors) == ["parent_id"]


def test_children_quotas_may_not_add_up_to_more_than_the_mous():
    # Sign the Medan MOU for 10,000 and a PKS under it for 6,000.
    mou = sign_medan_mou()
    dinsos = sign_medan_pks(mou, "PKS-MEDAN-DINSOS", 6000)
    mou.allocate_to_child(ctx, dinsos, 6000)
    assert mou.allocated_to_children() == 6000

    # Fail to allocate 5,000 more to a second PKS.
    dishub = sign_medan_pks(mou, "PKS-MEDAN-DISHUB", 5000)
    with pytest.raises(QuotaExceeded):
        mou.allocate_to_child(ctx, dishub, 5000)

    # Exactly the rest fits; re-allocating a child replaces its own share.
    mou.allocate_to_child(ctx, dishub, 4000)
    mou.allocate_to_child(ctx, dinsos, 5000)
    assert mou.allocated_to_children() == 9000

    # Fail to amend the MOU's quota below what its children hold.
    with pytest.raises(QuotaExceeded):
        mou.amend(ctx, effective_on=date(2025, 3, 1), reason="budget cut", quota=8999)


def test_an_amendment_changes_the_term_in_force():
    # Sign. Amend.
    agreement = sign()
    agreement.amend(ctx, effective_on=date(2022, 11, 1), reason="APBD-P adds 500",
                    quota=2500, sponsor="Dinas Tenaga Kerja")

    assert agreement.version == 2
    assert agreement.terms[0].quota == 2500
    assert agreement.terms[0].monthly_contribution_idr == 16_800
    assert agreement.sponsor == "Dinas Tenaga Kerja"


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_amendment_needs_a_reason(reason):
    agreement = sign()
    with pytest.raises(ValidationFailed) as raised:
        agreement.amend(ctx, effective_on=date(2022, 11, 1), reason=reason, quota=2500)
    assert list(raised.value.errors) == ["reason"]
    assert agreement.version == 1


@pytest.mark.parametrize("effective_on", [date(2022, 9, 30), date(2023, 1, 1)])
def test_an_amendment_needs_a_term_containing_its_effective_date(effective_on):
    agreement = sign()
    with pytest.raises(InvalidTransition):
        agreement.amend(ctx, effective_on=effective_on, reason="late", quota=2500)


def test_an_amendment_may_not_lower_the_quota_below_the_workers_enrolled():
    # Sign; 1,500 workers hold slots (enrollment is not this test's subject).
    agreement = sign()
    agreement.terms[0] = replace(agreement.terms[0], enrolled=1500)

    # Fail to amend the quota to 1,499. Amend it to 1,500.
    with pytest.raises(QuotaExceeded):
        agreement.amend(ctx, effective_on=date(2022, 11, 1), reason="cut", quota=1499)
    agreement.amend(ctx, effective_on=date(2022, 11, 1), reason="cut", quota=1500)
    assert agreement.terms[0].quota == 1500


def test_a_renewal_starts_the_day_after_the_previous_term_by_default():
    # Sign. Renew for 2023.
    agreement = sign()
    agreement.renew(ctx, ends_on=date(2023, 12, 31))

    # The new term keeps the quota and the contribution.
    assert agreement.terms[1] == Term(date(2023, 1, 1), date(2023, 12, 31), 2000, 16_800)
    assert agreement.version == 2


def test_a_renewal_may_start_later_with_its_own_quota_and_contribution():
    agreement = sign()
    agreement.renew(ctx, starts_on=date(2023, 3, 1), ends_on=date(2023, 12, 31),
                    quota=3000, monthly_contribution_idr=20_000, carry_over=False)
    assert agreement.terms[1] == Term(date(2023, 3, 1), date(2023, 12, 31), 3000, 20_000)


@pytest.mark.parametrize(("starts_on", "ends_on", "field"), [
    (date(2022, 12, 31), date(2023, 12, 31), "starts_on"),  # overlaps the last term
    (date(2022, 6, 1), date(2023, 12, 31), "starts_on"),
    (None, date(2022, 12, 1), "ends_on"),  # would end before it starts
    (date(2023, 6, 1), date(2023, 5, 31), "ends_on"),
])
def test_a_renewal_may_not_start_before_the_previous_term_ends(starts_on, ends_on, field):
    agreement = sign()
    with pytest.raises(ValidationFailed) as raised:
        agreement.renew(ctx, starts_on=starts_on, ends_on=ends_on)
    assert list(raised.value.errors) == [field]
    assert len(agreement.terms) == 1


def test_a_renewal_after_a_term_ending_on_the_last_representable_day_is_refused():
    agreement = sign(ends_on=date(9999, 12, 31))
    with pytest.raises(ValidationFailed):
        agreement.renew(ctx, ends_on=date(9999, 12, 31))


def test_a_terminated_agreement_cannot_be_renewed():
    # Sign. Terminate.
    agreement = sign()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")

    # Fail to renew.
    with pytest.raises(InvalidTransition):
        agreement.renew(ctx, ends_on=date(2023, 12, 31))
    assert len(agreement.terms) == 1


def test_an_agreement_cannot_be_terminated_twice():
    agreement = sign()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    with pytest.raises(InvalidTransition):
        agreement.terminate(ctx, ends_on=date(2022, 11, 15), reason="again")
    assert agreement.terminated_on == date(2022, 11, 30)
    assert agreement.termination_reason == "APBD refocused"


@pytest.mark.parametrize(("ends_on", "reason", "field"), [
    (date(2022, 10, 3), "before signing", "ends_on"),
    (date(2023, 1, 1), "after the last term", "ends_on"),
    (date(2022, 11, 30), " ", "reason"),
])
def test_a_termination_needs_a_reason_and_an_end_within_the_agreement(ends_on, reason, field):
    agreement = sign()
    with pytest.raises(ValidationFailed) as raised:
        agreement.terminate(ctx, ends_on=ends_on, reason=reason)
    assert list(raised.value.errors) == [field]
    assert agreement.terminated_on is None


def test_the_status_follows_the_terms_with_a_lapsed_gap_between_them():
    # Sign for Oct-Dec 2022. Renew for March-December 2023.
    agreement = sign()
    agreement.renew(ctx, starts_on=date(2023, 3, 1), ends_on=date(2023, 12, 31))

    assert agreement.status_on(date(2022, 9, 30)) == "pending"
    assert agreement.status_on(date(2022, 10, 1)) == "active"
    assert agreement.status_on(date(2022, 12, 31)) == "active"
    assert agreement.status_on(date(2023, 1, 1)) == "lapsed"
    assert agreement.status_on(date(2023, 2, 28)) == "lapsed"
    assert agreement.status_on(date(2023, 3, 1)) == "active"
    assert agreement.status_on(date(2024, 1, 1)) == "expired"
    assert agreement.current_term_index(date(2023, 2, 1)) == 0
    assert agreement.current_term_index(date(2023, 6, 1)) == 1
    assert agreement.current_term_index(date(2022, 1, 1)) == 0


def test_a_terminated_agreement_is_terminated_only_after_its_end():
    agreement = sign()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    assert agreement.status_on(date(2022, 11, 30)) == "active"
    assert agreement.status_on(date(2022, 12, 1)) == "terminated"
    assert agreement.status_on(date(2023, 6, 1)) == "terminated"
    assert agreement.document()["terminated_on"] == "2022-11-30"


def test_the_document_is_plain_data():
    agreement = sign(title="Perlindungan pekerja rentan",
                     signatories=[{"name": "Edimin", "role": "Bupati"}])
    agreement.renew(ctx, ends_on=date(2023, 12, 31))
    doc = agreement.document()
    assert doc["id"] == str(agreement.id)
    assert doc["parent_id"] is None
    assert doc["signed_on"] == "2022-10-04"
    assert doc["signatories"] == [{"name": "Edimin", "role": "Bupati"}]
    assert doc["terms"] == [
        {"starts_on": "2022-10-01", "ends_on": "2022-12-31", "quota": 2000,
         "monthly_contribution_idr": 16_800, "enrolled": 0},
        {"starts_on": "2023-01-01", "ends_on": "2023-12-31", "quota": 2000,
         "monthly_contribution_idr": 16_800, "enrolled": 0},
    ]
    assert doc["version"] == 2


def test_replaying_the_pending_events_rebuilds_equal_state():
    agreement = sign()
    agreement.amend(ctx, effective_on=date(2022, 10, 15), reason="more", quota=2100)
    agreement.renew(ctx, ends_on=date(2023, 12, 31))
    agreement.terminate(ctx, ends_on=date(2023, 6, 30), reason="budget")

    replayed = reduce(lambda a, e: e.mutate(a), agreement.collect_events(), None)
    assert replayed.document() == agreement.document()


@pytest.fixture
def application(tmp_path: Any) -> Any:
    app = RegistryApplication(Database.from_url("sqlite:///" + str(tmp_path / "x.db")))
    yield app
    app.close()


def test_a_saved_agreement_reads_back_equal_and_at_any_version(application):
    # Sign. Amend. Renew. Save.
    agreement = sign()
    agreement.amend(ctx, effective_on=date(2022, 10, 15), reason="more", quota=2100)
    agreement.renew(ctx, ends_on=date(2023, 12, 31), quota=2500)
    application.save(agreement)

    # Read back: the same state.
    stored = application.get_agreement(agreement.id)
    assert stored.document() == agreement.document()
    assert stored.version == 3

    # Version 1 is the agreement as signed.
    first = application.get_agreement(agreement.id, version=1)
    assert first.version == 1
    assert first.terms == [Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800)]

    # Version 2 has the amended quota but no renewal.
    assert application.get_agreement(agreement.id, version=2).terms[0].quota == 2100
    assert len(application.get_agreement(agreement.id, version=2).terms) == 1

    # Fail to read a version that does not exist, or an unknown agreement.
    with pytest.raises(NotFound):
        application.get_agreement(agreement.id, version=4)
    with pytest.raises(NotFound):
        application.get_agreement(Agreement.create_id("NO-SUCH-NUMBER"))
