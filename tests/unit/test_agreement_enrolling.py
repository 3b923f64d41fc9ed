"""What an agreement grants an enrollment: the term, the period, the programs, a quota slot."""

from __future__ import annotations

from datetime import date

import pytest

from events import QuotaSlotsReleased, QuotaSlotsTaken
from registry.domain.enrollment import Coverage
from registry.domain.errors import AgreementNotActive, QuotaExceeded, ValidationFailed
from tests.unit.given import ctx, enrolled, labusel, medan_mou


def labusel_2022_and_spring_2023():
    """Labuhanbatu Selatan: Oct-Dec 2022, then March-June 2023 after a lapsed gap."""
    agreement = labusel()
    agreement.renew(ctx, starts_on=date(2023, 3, 1), ends_on=date(2023, 6, 30))
    return agreement


# The coverage an enrollment gets.

def test_without_a_start_coverage_runs_from_today_to_the_end_of_the_current_term():
    agreement = labusel()
    coverage = agreement.coverage_for(None, None, today=date(2022, 11, 15))
    assert coverage == Coverage(agreement.id, "PKS-LABUSEL-2022", "12.22", 1, ["JKK", "JKM"],
                                date(2022, 11, 15), date(2022, 12, 31))


def test_enrolling_before_the_first_term_starts_covers_from_its_first_day():
    coverage = labusel().coverage_for(None, None, today=date(2022, 9, 20))
    assert (coverage.starts_on, coverage.ends_on) == (date(2022, 10, 1), date(2022, 12, 31))


def test_enrolling_on_the_last_day_of_a_term_covers_that_one_day():
    coverage = labusel().coverage_for(None, None, today=date(2022, 12, 31))
    assert (coverage.starts_on, coverage.ends_on) == (date(2022, 12, 31), date(2022, 12, 31))


def test_enrolling_in_a_gap_between_terms_without_a_start_is_refused_naming_the_ended_term():
    agreement = labusel_2022_and_spring_2023()
    with pytest.raises(AgreementNotActive) as raised:
        agreement.coverage_for(None, None, today=date(2023, 1, 15))
    assert str(raised.value) == ("the current term of PKS-LABUSEL-2022 ended on 2022-12-31; "
                                 "name a starts_on inside a term")


def test_a_start_inside_a_later_term_covers_to_the_end_of_that_term():
    agreement = labusel_2022_and_spring_2023()
    coverage = agreement.coverage_for(date(2023, 3, 1), None, today=date(2022, 11, 1))
    assert (coverage.term_number, coverage.starts_on, coverage.ends_on) == (
        2, date(2023, 3, 1), date(2023, 6, 30))


def test_a_start_outside_every_term_is_refused_naming_it():
    agreement = labusel_2022_and_spring_2023()
    with pytest.raises(AgreementNotActive) as raised:
        agreement.coverage_for(date(2023, 2, 1), None, today=date(2022, 11, 1))
    assert str(raised.value) == "2023-02-01 is outside every term of PKS-LABUSEL-2022"


def test_a_terminated_agreement_covers_no_one_new():
    agreement = labusel()
    agreement.terminate(ctx, ends_on=date(2022, 11, 30), reason="APBD refocused")
    for starts_on in (None, date(2022, 11, 1)):
        with pytest.raises(AgreementNotActive) as raised:
            agreement.coverage_for(starts_on, None, today=date(2022, 11, 1))
        assert str(raised.value) == "agreement PKS-LABUSEL-2022 was terminated on 2022-11-30"


def test_an_enrollment_may_choose_some_of_the_agreements_programs_in_canonical_order():
    agreement = labusel(programs=["JKK", "JKM", "JHT"])
    coverage = agreement.coverage_for(None, ["JHT", "JKK", "JHT"], today=date(2022, 11, 1))
    assert coverage.programs == ["JKK", "JHT"]
    assert agreement.coverage_for(None, [], today=date(2022, 11, 1)).programs == [
        "JKK", "JKM", "JHT"]


def test_a_program_the_agreement_did_not_buy_is_refused_by_name():
    with pytest.raises(ValidationFailed) as raised:
        labusel().coverage_for(None, ["JKK", "JHT"], today=date(2022, 11, 1))
    assert raised.value.errors == {"programs": "JHT not bought by agreement PKS-LABUSEL-2022"}

    with pytest.raises(ValidationFailed) as raised:
        labusel(programs=["JKK"]).coverage_for(None, ["JKM", "JHT"], today=date(2022, 11, 1))
    assert raised.value.errors == {
        "programs": "JKM, JHT not bought by agreement PKS-LABUSEL-2022"}


# Quota slots.

def test_workers_take_slots_up_to_the_quota_and_not_one_more():
    # Sign for 2,000. Enroll 1,999, then one more.
    agreement = enrolled(labusel(), 1999)
    assert agreement.has_room(1, 1) and not agreement.has_room(1, 2)
    agreement.take_slots(ctx, 1, 1)
    assert agreement.terms[0].enrolled == 2000

    # Fail to enroll the 2,001st.
    with pytest.raises(QuotaExceeded) as raised:
        agreement.take_slots(ctx, 1, 1)
    assert str(raised.value) == "term 1 of PKS-LABUSEL-2022 has quota 2000 and 2000 enrolled"
    assert agreement.terms[0].enrolled == 2000


def test_slots_are_taken_and_released_in_the_term_named():
    agreement = enrolled(labusel_2022_and_spring_2023(), 40, term_number=2)
    agreement.release_slots(ctx, 2)
    agreement.release_slots(ctx, 2, count=9)

    events = agreement.collect_events()
    assert [(type(e), e.term_number, e.count) for e in events[-3:]] == [
        (QuotaSlotsTaken, 2, 40), (QuotaSlotsReleased, 2, 1), (QuotaSlotsReleased, 2, 9)]
    assert [t.enrolled for t in agreement.terms] == [0, 30]


def test_a_term_without_a_quota_always_has_room():
    mou = enrolled(medan_mou(quota=None), 1_000_000)
    assert mou.has_room(1, 1_000_000)


def test_a_full_earlier_term_is_full_whatever_room_a_later_one_has():
    # Sign for 2,000 and fill the term. Renew for 2023 with 3,000 and nobody carried over.
    agreement = enrolled(labusel(), 2000)
    agreement.renew(ctx, ends_on=date(2023, 12, 31), quota=3000, carry_over=False)

    # A late enrollment into the 2022 term finds it full.
    assert not agreement.has_room(1, 1) and agreement.has_room(2, 3000)
    with pytest.raises(QuotaExceeded) as raised:
        agreement.take_slots(ctx, 1, 1)
    assert str(raised.value) == "term 1 of PKS-LABUSEL-2022 has quota 2000 and 2000 enrolled"
