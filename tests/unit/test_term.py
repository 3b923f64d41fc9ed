"""Terms: an agreement's periods, which one is current, and its status on a day."""

from __future__ import annotations

from datetime import date

import pytest
from eventsourcing.persistence import JSONTranscoder

from registry.domain.term import DateAsISO, Term, TermAsDict, current_term_index, status_on

# Three terms with a gap after each of the first two.
Q4_2022 = Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800)
MAR_JUN_2023 = Term(date(2023, 3, 1), date(2023, 6, 30), 2000, 16_800)
SEP_DEC_2023 = Term(date(2023, 9, 1), date(2023, 12, 31), 2500, 20_000)
TERMS = [Q4_2022, MAR_JUN_2023, SEP_DEC_2023]


def test_a_term_contains_both_its_first_and_its_last_day():
    assert Q4_2022.contains(date(2022, 10, 1))
    assert Q4_2022.contains(date(2022, 12, 31))
    assert not Q4_2022.contains(date(2022, 9, 30))
    assert not Q4_2022.contains(date(2023, 1, 1))


def test_free_slots_are_the_quota_less_the_workers_holding_one():
    assert Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800, 1999).free_slots() == 1
    assert Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800, 2000).free_slots() == 0


def test_a_term_without_a_quota_has_no_limit_on_free_slots():
    assert Term(date(2025, 2, 1), date(2025, 12, 31), None, 16_800, enrolled=5).free_slots() is None


def test_changes_of_none_leave_a_field_as_it_was():
    changed = Q4_2022.with_changes(quota=2500, monthly_contribution_idr=None)
    assert changed == Term(date(2022, 10, 1), date(2022, 12, 31), 2500, 16_800)
    assert Q4_2022.quota == 2000


@pytest.mark.parametrize(("on", "index"), [
    (date(2022, 1, 1), 0),  # before every term: the first
    (date(2022, 10, 1), 0),
    (date(2023, 2, 1), 0),  # in the gap: the last started before it
    (date(2023, 3, 1), 1),
    (date(2023, 7, 15), 1),
    (date(2023, 9, 1), 2),
    (date(2024, 5, 1), 2),  # after every term: the last
])
def test_the_current_term_contains_the_day_else_started_last_before_it(on, index):
    assert current_term_index(TERMS, on) == index


@pytest.mark.parametrize(("on", "status"), [
    (date(2022, 9, 30), "pending"),
    (date(2022, 10, 1), "active"),
    (date(2022, 12, 31), "active"),
    (date(2023, 1, 1), "lapsed"),
    (date(2023, 3, 1), "active"),
    (date(2023, 7, 1), "lapsed"),  # the gap between the second and third terms
    (date(2023, 8, 31), "lapsed"),
    (date(2023, 12, 31), "active"),
    (date(2024, 1, 1), "expired"),
])
def test_the_status_follows_the_terms(on, status):
    assert status_on(TERMS, None, on) == status


@pytest.mark.parametrize(("on", "status"), [
    (date(2022, 9, 1), "pending"),
    (date(2023, 4, 30), "active"),  # the day of the termination is still covered
    (date(2023, 5, 1), "terminated"),
    (date(2024, 6, 1), "terminated"),
])
def test_a_terminated_agreement_is_terminated_only_after_its_last_day(on, status):
    assert status_on(TERMS, date(2023, 4, 30), on) == status


def test_terms_and_dates_survive_the_json_transcoder_of_snapshots():
    transcoder = JSONTranscoder()
    transcoder.register(DateAsISO())
    transcoder.register(TermAsDict())
    term = Term(date(2023, 3, 1), date(2023, 6, 30), None, 16_800, enrolled=12)
    data = transcoder.encode({"terms": [term], "on": date(2023, 3, 1)})
    assert b'"2023-03-01"' in data
    assert transcoder.decode(data) == {"terms": [term], "on": date(2023, 3, 1)}
