"""The domain's rules and their SQL (projections/rules_sql.py) agree.

Each rule is one Python function in registry/domain; the read models ask the
same question in SQL to filter and count. One table of cases per rule runs
through both, on both engines: the expression alone, row by row, and the
queries that use it.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from projections import coverage_queries, rules_sql
from projections.agreements import list_agreements
from projections.coverage import ROW
from registry.domain.coverage_rules import (
    ENROLLMENT_STATUSES,
    covered_on,
    covers,
    enrollment_status_on,
)
from registry.domain.term import AGREEMENT_STATUSES, Term, status_on

D = date.fromisoformat

# name: (terms as (starts_on, ends_on), terminated_on)
AGREEMENTS: dict[str, tuple[list[tuple[str, str]], str | None]] = {
    "one term": ([("2022-10-01", "2022-12-31")], None),
    "one day": ([("2022-11-15", "2022-11-15")], None),
    "renewed without a gap": ([("2022-10-01", "2022-12-31"), ("2023-01-01", "2023-12-31")],
                              None),
    "renewed after a gap": ([("2022-10-01", "2022-12-31"), ("2023-03-01", "2023-12-31")],
                            None),
    "terminated in its term": ([("2022-10-01", "2022-12-31")], "2022-11-30"),
    "terminated on its last day": ([("2022-10-01", "2022-12-31")], "2022-12-31"),
    "terminated before it began": ([("2022-10-01", "2022-12-31")], "2022-09-20"),
    "terminated between terms": ([("2022-10-01", "2022-12-31"), ("2023-03-01", "2023-12-31")],
                                 "2023-01-31"),
}

# name: (status recorded, starts_on, covered_until)
ENROLLMENTS: dict[str, tuple[str, str, str]] = {
    "active": ("active", "2022-10-01", "2022-12-31"),
    "active for one day": ("active", "2022-11-15", "2022-11-15"),
    "disenrolled": ("ended", "2022-10-01", "2022-11-15"),
    "disenrolled on its first day": ("ended", "2022-10-20", "2022-10-20"),
    "voided": ("voided", "2022-10-01", "2022-12-31"),
    "voided after it ended": ("voided", "2022-10-01", "2022-10-31"),
    "cut by a termination": ("active", "2022-10-01", "2022-11-30"),
    "terminated before it began": ("active", "2022-12-01", "2022-11-30"),
    "terminated before it began, that month": ("active", "2022-11-20", "2022-11-10"),
}


def days_around(*isos: str) -> list[date]:
    """Every date named, with the day before and the day after it."""
    return sorted({D(d) + timedelta(days=k) for d in isos for k in (-1, 0, 1)})


def agreement_days() -> list[date]:
    return days_around(*(d for terms, ended in AGREEMENTS.values()
                         for d in [*(x for t in terms for x in t), *([ended] if ended else [])]))


def enrollment_days() -> list[date]:
    return days_around(*(d for _, starts, until in ENROLLMENTS.values() for d in (starts, until)))


def store_agreements(registry: Any) -> None:
    rows, terms = [], []
    for seq, (name, (periods, ended)) in enumerate(AGREEMENTS.items(), start=1):
        rows.append((name, seq, f"PKS-{seq}", "PKS", None, "12.22", periods[0][0],
                     periods[-1][1], ended, 1, json.dumps({"id": name})))
        terms += [(name, n, s, e) for n, (s, e) in enumerate(periods, start=1)]
    with registry.store.transaction(write=True) as cur:
        cur.insert_rows("rm_agreements", ("id", "seq", "agreement_number", "kind", "parent_id",
                                          "region_code", "first_starts_on", "last_ends_on",
                                          "terminated_on", "version", "doc"), rows)
        cur.insert_rows("rm_agreement_terms",
                        ("agreement_id", "term_number", "starts_on", "ends_on"), terms)


def python_agreement_status(name: str, on: date) -> str:
    periods, ended = AGREEMENTS[name]
    terms = [Term(D(s), D(e), None, 0) for s, e in periods]
    return status_on(terms, D(ended) if ended else None, on)


def test_an_agreements_status_in_sql_is_status_on(registry: Any) -> None:
    store_agreements(registry)
    with registry.store.transaction() as cur:
        for on in agreement_days():
            expected = {name: python_agreement_status(name, on) for name in AGREEMENTS}
            # The expression, row by row.
            sql, params = rules_sql.agreement_status(on)
            in_sql = dict(cur.execute(f"SELECT a.id, {sql} FROM rm_agreements a",  # noqa: S608
                                      params).fetchall())
            assert in_sql == expected, on
            # The list filtered by it.
            for status in AGREEMENT_STATUSES:
                docs, _ = list_agreements(cur, on=on, status=status, limit=100)
                assert {d["id"] for d in docs} == {
                    name for name, s in expected.items() if s == status}, (on, status)


def store_enrollments(registry: Any) -> None:
    rows = []
    for seq, (name, (recorded, starts_on, until)) in enumerate(ENROLLMENTS.items(), start=1):
        values = {
            "enrollment_id": name, "seq": seq, "agreement_id": "agreement",
            "agreement_number": "PKS-1", "region_code": "12.22", "nik": f"{seq:016d}",
            "name": name, "occupation": "petani", "term_number": 1, "programs": "JKK,JKM",
            "jkk": 1, "jkm": 1, "jht": 0, "starts_on": starts_on, "ends_on": until,
            "covered_until": until, "status": recorded, "reason_code": None, "reason": None,
            "recorded_at": "2022-10-01T00:00:00Z", "actor": "tester", "version": seq,
            "valid_from": "2022-10-01T00:00:00Z", "valid_to": None,
        }
        rows.append([values[column] for column in ROW])
    with registry.store.transaction(write=True) as cur:
        cur.insert_rows("rm_enrollments", ROW, rows)


def python_enrollment(name: str) -> tuple[str, date, date]:
    recorded, starts_on, until = ENROLLMENTS[name]
    return recorded, D(starts_on), D(until)


def test_an_enrollments_status_in_sql_is_enrollment_status_on(registry: Any) -> None:
    store_enrollments(registry)
    with registry.store.transaction() as cur:
        for on in enrollment_days():
            expected = {name: enrollment_status_on(*python_enrollment(name), on)
                        for name in ENROLLMENTS}
            sql, params = rules_sql.enrollment_status(on)
            in_sql = dict(cur.execute(
                f"SELECT enrollment_id, {sql} FROM rm_enrollments", params).fetchall())  # noqa: S608
            assert in_sql == expected, on
            for status in ENROLLMENT_STATUSES:
                items, _ = coverage_queries.agreement_enrollments(
                    cur, "agreement", on=on, status=status, after=0, limit=100)
                assert {i["enrollment_id"] for i in items} == {
                    name for name, s in expected.items() if s == status}, (on, status)
                assert {i["status"] for i in items} <= {status}


def periods() -> list[tuple[date, date]]:
    """Single days around every boundary, and the months of the cases."""
    months = [(date(2022, m, 1), date(2022, m + 1, 1) - timedelta(days=1)) for m in (9, 10, 11)]
    return [(day, day) for day in enrollment_days()] + [
        *months, (date(2022, 12, 1), date(2022, 12, 31)), (date(2023, 1, 1), date(2023, 1, 31)),
        (date(2022, 10, 1), date(2022, 12, 31))]


def test_covering_a_period_in_sql_is_covers(registry: Any) -> None:
    store_enrollments(registry)
    with registry.store.transaction() as cur:
        for first, last in periods():
            expected = {name for name in ENROLLMENTS
                        if covers(*python_enrollment(name), first, last)}
            # The expression, row by row.
            sql, params = rules_sql.covers(first, last)
            in_sql = {row[0] for row in cur.execute(
                f"SELECT enrollment_id FROM rm_enrollments WHERE {sql}", params).fetchall()}  # noqa: S608
            assert in_sql == expected, (first, last)
            # The month's billable workers, and a day's covered workers (one NIK each).
            assert coverage_queries.billable_workers(cur, "agreement", first, last) == len(
                expected), (first, last)
            if first == last:
                assert expected == {name for name in ENROLLMENTS
                                    if covered_on(*python_enrollment(name), first)}
                covered = coverage_queries.region_coverage(cur, "12", first)
                assert covered["covered_workers"] == len(expected), first


def test_covering_a_month_in_sql_and_counting_workers_by_dates_are_covers(
        registry: Any) -> None:
    from projections import ledger_queries

    store_enrollments(registry)
    with registry.store.transaction() as cur:
        for first, last in periods():
            expected = {name for name in ENROLLMENTS
                        if covers(*python_enrollment(name), first, last)}
            # The ledger's count of owed workers (grouped by dates, then the rule).
            assert ledger_queries.owed_workers(cur, "agreement", [(first, last)]) == [
                len(expected)], (first, last)
            if first.day != 1 or (last + timedelta(days=1)).day != 1 or first.month != last.month:
                continue
            # A whole month named by a column, as the paid-after-death audit asks it.
            sql = rules_sql.covers_month("e", "m.month")
            in_sql = {row[0] for row in cur.execute(
                "SELECT e.enrollment_id FROM rm_enrollments e, "  # noqa: S608
                f"(SELECT CAST(? AS TEXT) AS month) m WHERE {sql}",
                (f"{first:%Y-%m}",)).fetchall()}
            assert in_sql == expected, first


CODES = ("12", "12.22", "12.75", "13", "13.22", "31", "31.71", "36.73")
SCOPES = ([], ["12"], ["12.22"], ["12.22", "13"], ["13", "31.71"], ["31"], ["12.75", "12"],
          ["36"])


def test_a_region_scope_in_sql_is_in_any(registry: Any) -> None:
    """`region_clause` (which an index serves) matches exactly the codes `in_any` does."""
    from projections.agreements import region_clause
    from registry.domain.region_codes import in_any

    rows = [(code, n, f"PKS-{n}", "PKS", None, code, "2022-10-01", "2022-12-31", None, 1,
             json.dumps({"id": code})) for n, code in enumerate(CODES, start=1)]
    with registry.store.transaction(write=True) as cur:
        cur.insert_rows("rm_agreements", ("id", "seq", "agreement_number", "kind", "parent_id",
                                          "region_code", "first_starts_on", "last_ends_on",
                                          "terminated_on", "version", "doc"), rows)
    with registry.store.transaction() as cur:
        for scopes in SCOPES:
            clause, params = region_clause("region_code", scopes)
            found = {code for (code,) in cur.execute(
                f"SELECT region_code FROM rm_agreements WHERE {clause}",  # noqa: S608
                params).fetchall()}
            assert found == {code for code in CODES if in_any(scopes, code)}, scopes
