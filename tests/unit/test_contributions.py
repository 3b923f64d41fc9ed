"""What a regional government owes, month by month: billable workers x the month's rate."""

from __future__ import annotations

from datetime import date

from registry.domain.contributions import contributions
from registry.domain.term import Term

LABUSEL = [Term(date(2022, 10, 1), date(2022, 12, 31), 2000, 16_800)]


def everyone(count: int):
    """A roster of `count` workers covered in every month asked about."""
    return lambda first, last: count


def test_labuhanbatu_selatan_owes_100_800_000_for_2000_workers_in_the_last_quarter_of_2022():
    owed = contributions(LABUSEL, (2022, 10), (2022, 12), everyone(2000))
    assert owed == {
        "months": [
            {"month": "2022-10", "workers": 2000, "monthly_contribution_idr": 16_800,
             "amount_idr": 33_600_000},
            {"month": "2022-11", "workers": 2000, "monthly_contribution_idr": 16_800,
             "amount_idr": 33_600_000},
            {"month": "2022-12", "workers": 2000, "monthly_contribution_idr": 16_800,
             "amount_idr": 33_600_000},
        ],
        "total_idr": 100_800_000,
    }


def test_the_roster_is_asked_for_the_first_and_last_day_of_each_month():
    asked = []

    def billable(first: date, last: date) -> int:
        asked.append((first, last))
        return 1

    contributions(LABUSEL, (2023, 11), (2024, 3), billable)
    assert asked == [
        (date(2023, 11, 1), date(2023, 11, 30)),
        (date(2023, 12, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),  # a leap year
        (date(2024, 3, 1), date(2024, 3, 31)),
    ]


def test_each_month_counts_its_own_billable_workers():
    roster = {date(2022, 10, 1): 1800, date(2022, 11, 1): 1950, date(2022, 12, 1): 2000}
    owed = contributions(LABUSEL, (2022, 10), (2022, 12), lambda first, last: roster[first])
    assert [m["workers"] for m in owed["months"]] == [1800, 1950, 2000]
    assert [m["amount_idr"] for m in owed["months"]] == [30_240_000, 32_760_000, 33_600_000]
    assert owed["total_idr"] == 96_600_000


def test_a_month_outside_every_term_costs_nothing():
    owed = contributions(LABUSEL, (2022, 9), (2023, 1), everyone(10))
    assert [(m["month"], m["monthly_contribution_idr"], m["amount_idr"])
            for m in owed["months"]] == [
        ("2022-09", 0, 0), ("2022-10", 16_800, 168_000), ("2022-11", 16_800, 168_000),
        ("2022-12", 16_800, 168_000), ("2023-01", 0, 0)]


def test_a_range_that_ends_before_it_starts_owes_nothing():
    assert contributions(LABUSEL, (2022, 12), (2022, 10), everyone(2000)) == {
        "months": [], "total_idr": 0}


def test_a_month_two_terms_share_costs_the_rate_of_the_term_holding_most_of_its_days():
    terms = [Term(date(2023, 1, 1), date(2023, 3, 10), 100, 16_800),
             Term(date(2023, 3, 11), date(2023, 12, 31), 100, 20_000)]
    owed = contributions(terms, (2023, 3), (2023, 3), everyone(1))
    assert owed["months"][0]["monthly_contribution_idr"] == 20_000  # 21 days against 10

    terms = [Term(date(2023, 1, 1), date(2023, 3, 20), 100, 16_800),
             Term(date(2023, 3, 21), date(2023, 12, 31), 100, 20_000)]
    owed = contributions(terms, (2023, 3), (2023, 3), everyone(1))
    assert owed["months"][0]["monthly_contribution_idr"] == 16_800  # 20 days against 11


def test_a_month_two_terms_share_equally_costs_the_later_terms_rate():
    terms = [Term(date(2023, 1, 1), date(2023, 4, 15), 100, 16_800),
             Term(date(2023, 4, 16), date(2023, 12, 31), 100, 20_000)]
    owed = contributions(terms, (2023, 4), (2023, 4), everyone(3))
    assert owed["months"][0]["monthly_contribution_idr"] == 20_000
    assert owed["total_idr"] == 60_000


def test_a_term_of_one_day_in_a_month_sets_its_rate():
    terms = [Term(date(2023, 5, 31), date(2023, 6, 30), 100, 6_800)]
    owed = contributions(terms, (2023, 5), (2023, 5), everyone(2))
    assert owed["months"][0]["monthly_contribution_idr"] == 6_800


def test_a_term_of_no_days_in_a_month_does_not_set_its_rate():
    terms = [Term(date(2023, 5, 1), date(2023, 5, 31), 100, 6_800),
             Term(date(2023, 6, 1), date(2023, 6, 30), 100, 36_800)]
    owed = contributions(terms, (2023, 5), (2023, 6), everyone(1))
    assert [m["monthly_contribution_idr"] for m in owed["months"]] == [6_800, 36_800]


def test_a_free_term_bills_no_money_for_its_workers():
    terms = [Term(date(2023, 1, 1), date(2023, 12, 31), 100, 0)]
    owed = contributions(terms, (2023, 1), (2023, 1), everyone(50))
    assert owed["months"][0]["workers"] == 50
    assert owed["total_idr"] == 0
