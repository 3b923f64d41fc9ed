"""An agreement's life after signing: amendments, renewals, termination, PKS quotas under an MOU."""

from __future__ import annotations

from datetime import date

import pytest

from events import AgreementAmended, AgreementRenewed, ChildQuotaAllocated
from registry.domain.errors import (
    AgreementNotActive,
    InvalidTransition,
    QuotaExceeded,
    ValidationFailed,
)
from registry.domain.term import Term
from tests.unit.given import ctx, enrolled, labusel, medan_mou, medan_pks


def last_event(agreement):
    return agreement.collect_events()[-1]


# Amendments.

def test_an_amendment_records_what_changed_in_which_term_and_why():
    # Sign. Renew for 2023. Amend the 2023 term.
    agreement = labusel()
    agreement.renew(ctx, ends_on=date(2023, 12, 31))
    agreement.amend(ctx, effective_on=date(2023, 7, 1), reason="APBD-P 2023",
                    monthly_contribution_idr=20_000, title="Pekerja rentan 2023")

    event = last_event(agreement)
    assert isinstance(event, AgreementAmended)
    assert (event.effective_on, event.term_number, event.reason) == (
        date(2023, 7, 1), 2, "APBD-P 2023")
    assert (event.quota, event.monthly_contribution_idr, event.title, event.sponsor) == (
        None, 20_000, "Pekerja rentan 2023", None)
    assert agreement.terms[1] == Term(date(2023, 1, 1), date(2023, 12, 31), 2000, 20_000)
    assert agreement.terms[0].monthly_contribution_idr == 16_800
    assert agreement.title == "Pekerja rentan 2023"
    assert agreement.sponsor == "Pemerintah Kabupaten Labuhanbatu Selatan"


@pytest.mark.parametrize(("change", "errors"), [
    ({"reason": " "}, {"reason": "must not be blank"}),
    ({"quota": 0}, {"quota": "must be at least 1"}),
    ({"monthly_contribution_idr": -1}, {"monthly_contribution_idr": "must not be negative"}),
])
def test_an_amendment_with_a_bad_field_is_refused_by_name(change, errors):
    agreement = labusel()
    with pytest.raises(ValidationFailed) as raised:
        agreement.amend(ctx, **{"effective_on": date(2022, 11, 1), "reason": "cut", **change})
    assert raised.value.errors == errors
    assert agreement.version == 1


def test_an_amendment_outside_every_term_names_the_date():
    agreement = labusel()
    with pytest.raises(InvalidTransition) as raised:
        agreement.amend(ctx, effective_on=date(2023, 1, 1), reason="late", quota=2500)
    assert str(raised.value) == "no term of agreement PKS-LABUSEL-2022 contains 2023-01-01"


def test_an_amendment_may_fall_on_the_last_day_before_a_termination_but_not_after():
    # Sign. Terminate on 30 November. Amend on that day.
    agreement = labusel()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    agreement.amend(ctx, effective_on=date(2022, 11, 30), reason="last day", quota=1500)
    assert agreement.terms[0].quota == 1500

    # Fail to amend from 1 December.
    with pytest.raises(InvalidTransition) as raised:
        agreement.amend(ctx, effective_on=date(2022, 12, 1), reason="later", quota=1400)
    assert str(raised.value) == "agreement PKS-LABUSEL-2022 was terminated on 2022-11-30"


def test_an_amendment_may_lower_the_quota_to_the_workers_enrolled_but_not_below():
    agreement = enrolled(labusel(), 1500)
    with pytest.raises(QuotaExceeded) as raised:
        agreement.amend(ctx, effective_on=date(2022, 11, 1), reason="cut", quota=1499)
    assert str(raised.value) == "quota 1499 is below the 1500 workers enrolled in the term"
    agreement.amend(ctx, effective_on=date(2022, 11, 1), reason="cut", quota=1500)
    assert agreement.current_quota() == 1500


def test_an_mous_quota_may_be_amended_down_to_what_its_pkss_hold_but_not_below():
    # Sign the Medan MOU and give a PKS under it 6,000.
    mou = medan_mou()
    mou.allocate_to_child(ctx, medan_pks(mou, "PKS-MEDAN-DINSOS", 6000), 6000)

    # Fail to amend the MOU's quota to 5,999; amend it to 6,000.
    with pytest.raises(QuotaExceeded) as raised:
        mou.amend(ctx, effective_on=date(2025, 3, 1), reason="budget cut", quota=5999)
    assert str(raised.value) == (
        "quota 5999 is below the 6000 already allocated to agreements under it")
    mou.amend(ctx, effective_on=date(2025, 3, 1), reason="budget cut", quota=6000)
    assert mou.current_quota() == 6000


# Renewals.

def test_a_renewal_carries_over_every_enrolled_worker_by_default():
    # Sign; 1,200 workers enrolled. Renew for 2023.
    agreement = enrolled(labusel(), 1200)
    agreement.renew(ctx, ends_on=date(2023, 12, 31), reason="APBD 2023")

    event = last_event(agreement)
    assert isinstance(event, AgreementRenewed)
    assert (event.carry_over, event.carried_over, event.reason) == (True, 1200, "APBD 2023")
    assert agreement.terms[1] == Term(date(2023, 1, 1), date(2023, 12, 31), 2000, 16_800, 1200)


def test_a_renewal_without_carry_over_starts_empty():
    agreement = enrolled(labusel(), 1200)
    agreement.renew(ctx, ends_on=date(2023, 12, 31), carry_over=False)
    event = last_event(agreement)
    assert (event.carry_over, event.carried_over, event.reason) == (False, 0, None)
    assert agreement.terms[1].enrolled == 0


def test_a_renewal_carries_over_only_the_workers_the_application_counted():
    # 1,200 enrolled, of whom 1,150 may continue (the rest died or are covered elsewhere).
    agreement = enrolled(labusel(), 1200)
    agreement.renew(ctx, ends_on=date(2023, 12, 31), carried=1150)
    assert last_event(agreement).carried_over == 1150
    assert agreement.terms[1].enrolled == 1150


def test_a_renewal_may_carry_over_exactly_its_quota_but_not_one_more():
    agreement = enrolled(labusel(), 1500)
    with pytest.raises(QuotaExceeded) as raised:
        agreement.renew(ctx, ends_on=date(2023, 12, 31), quota=1499)
    assert str(raised.value) == "1500 workers would carry over into a term with quota 1499"
    agreement.renew(ctx, ends_on=date(2023, 12, 31), quota=1500)
    assert agreement.terms[1].enrolled == 1500


def test_an_mou_without_a_quota_renews_with_its_workers_and_its_pkss():
    # Sign the Medan MOU without a quota; a PKS under it takes 6,000; 300 enrolled directly.
    mou = enrolled(medan_mou(quota=None), 300)
    mou.allocate_to_child(ctx, medan_pks(mou, "PKS-MEDAN-DINSOS", 6000), 6000)

    mou.renew(ctx, ends_on=date(2026, 12, 31))
    assert mou.terms[1] == Term(date(2026, 1, 1), date(2026, 12, 31), None, 16_800, 300)


def test_a_renewed_mous_quota_may_equal_what_its_pkss_hold_but_not_fall_below():
    mou = medan_mou()
    mou.allocate_to_child(ctx, medan_pks(mou, "PKS-MEDAN-DINSOS", 6000), 6000)
    with pytest.raises(QuotaExceeded) as raised:
        mou.renew(ctx, ends_on=date(2026, 12, 31), quota=5999)
    assert str(raised.value) == (
        "quota 5999 is below the 6000 already allocated to agreements under it")
    mou.renew(ctx, ends_on=date(2026, 12, 31), quota=6000)
    assert mou.current_quota() == 6000


@pytest.mark.parametrize(("change", "errors"), [
    ({"quota": 0}, {"quota": "must be at least 1"}),
    ({"monthly_contribution_idr": -1}, {"monthly_contribution_idr": "must not be negative"}),
    ({"starts_on": date(2022, 12, 31)},
     {"starts_on": "must be after the current last term, which ends on 2022-12-31"}),
])
def test_a_renewal_with_a_bad_field_is_refused_by_name(change, errors):
    agreement = labusel()
    with pytest.raises(ValidationFailed) as raised:
        agreement.renew(ctx, ends_on=date(2023, 12, 31), **change)
    assert raised.value.errors == errors
    assert len(agreement.terms) == 1


def test_a_terminated_agreement_cannot_be_renewed_and_says_when_it_ended():
    agreement = labusel()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    with pytest.raises(InvalidTransition) as raised:
        agreement.renew(ctx, ends_on=date(2023, 12, 31))
    assert str(raised.value) == "agreement PKS-LABUSEL-2022 was terminated on 2022-11-30"


# Termination.

def test_an_agreement_may_end_on_the_day_it_was_signed_or_on_its_last_day():
    on_signing = labusel()
    on_signing.terminate(ctx, ends_on=date(2022, 10, 4), reason="signed in error")
    assert on_signing.terminated_on == date(2022, 10, 4)

    on_last_day = labusel()
    on_last_day.terminate(ctx, ends_on=date(2022, 12, 31), reason="not renewed")
    assert on_last_day.document()["termination_reason"] == "not renewed"


@pytest.mark.parametrize(("ends_on", "reason", "errors"), [
    (date(2022, 10, 3), "early", {"ends_on": "must not be before the signing date 2022-10-04"}),
    (date(2023, 1, 1), "late", {"ends_on": "must not be after the last term's end 2022-12-31"}),
    (date(2022, 11, 30), "", {"reason": "must not be blank"}),
])
def test_a_termination_is_refused_saying_which_limit_it_broke(ends_on, reason, errors):
    agreement = labusel()
    with pytest.raises(ValidationFailed) as raised:
        agreement.terminate(ctx, ends_on=ends_on, reason=reason)
    assert raised.value.errors == errors


def test_a_second_termination_names_the_first():
    agreement = labusel()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    with pytest.raises(InvalidTransition) as raised:
        agreement.terminate(ctx, ends_on=date(2022, 11, 15), reason="again")
    assert str(raised.value) == (
        "agreement PKS-LABUSEL-2022 was already terminated on 2022-11-30")


# Quotas of PKSs under an MOU.

def test_an_allocation_records_which_pks_takes_how_much():
    mou = medan_mou()
    dinsos = medan_pks(mou, "PKS-MEDAN-DINSOS", 6000)
    mou.allocate_to_child(ctx, dinsos, 6000)
    event = last_event(mou)
    assert isinstance(event, ChildQuotaAllocated)
    assert (event.child_id, event.child_agreement_number, event.quota) == (
        dinsos.id, "PKS-MEDAN-DINSOS", 6000)
    assert mou.child_quotas == {str(dinsos.id): 6000}


def test_pkss_may_take_exactly_the_mous_quota_but_not_one_more():
    # Sign the MOU for 10,000; one PKS takes 6,000.
    mou = medan_mou()
    mou.allocate_to_child(ctx, medan_pks(mou, "PKS-MEDAN-DINSOS", 6000), 6000)

    # Fail to give a second PKS 4,001; give it 4,000.
    dishub = medan_pks(mou, "PKS-MEDAN-DISHUB", 4001)
    with pytest.raises(QuotaExceeded) as raised:
        mou.allocate_to_child(ctx, dishub, 4001)
    assert str(raised.value) == (
        "the MOU MOU-MEDAN-2025 has quota 10000; 6000 is already allocated to other "
        "agreements under it, so 4001 more does not fit")
    mou.allocate_to_child(ctx, dishub, 4000)
    assert mou.allocated_to_children() == 10_000


def test_an_mou_without_a_quota_lets_its_pkss_take_any():
    mou = medan_mou(quota=None)
    mou.allocate_to_child(ctx, medan_pks(mou, "PKS-MEDAN-DINSOS", 60_000), 60_000)
    assert mou.allocated_to_children() == 60_000


def test_a_terminated_mou_refuses_a_pks_whose_term_starts_after_it_even_one_slot():
    # Sign the MOU and a PKS under it starting 1 July. Terminate the MOU on 30 June.
    mou = medan_mou()
    late = medan_pks(mou, "PKS-MEDAN-LATE", 1, starts_on=date(2025, 7, 1))
    mou.terminate(ctx, ends_on=date(2025, 6, 30), reason="APBD refocused")

    # Fail to give the PKS even one slot.

    with pytest.raises(AgreementNotActive) as raised:
        mou.allocate_to_child(ctx, late, 1)
    assert str(raised.value) == "agreement MOU-MEDAN-2025 was terminated on 2025-06-30"


def test_a_terminated_mou_still_takes_back_the_quota_of_a_pks_that_ended():
    # A PKS under the MOU takes 6,000 from July. The MOU ends on 30 June.
    mou = medan_mou()
    dinsos = medan_pks(mou, "PKS-MEDAN-DINSOS", 6000, starts_on=date(2025, 7, 1))
    mou.allocate_to_child(ctx, dinsos, 6000)
    mou.terminate(ctx, ends_on=date(2025, 6, 30), reason="APBD refocused")

    # The PKS is terminated too: it gives its quota back.
    mou.allocate_to_child(ctx, dinsos, 0)
    assert mou.allocated_to_children() == 0
