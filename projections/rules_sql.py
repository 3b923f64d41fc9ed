"""Domain rules in SQL, for queries that filter or count by them.

Each expression here mirrors one Python function of `registry.domain`, named
in its docstring, and is the only SQL statement of that rule: queries take
it from here. tests/integration/test_rules_in_sql.py runs each pair over one
table of cases on both engines. The read models keep dates as ISO text, so
text order is date order.
"""

from __future__ import annotations

from datetime import date

# An rm_agreements row `a` has a term containing the day.
_IN_A_TERM = ("EXISTS (SELECT 1 FROM rm_agreement_terms t WHERE t.agreement_id = a.id "
              "AND t.starts_on <= ? AND ? <= t.ends_on)")


def agreement_status(on: date) -> tuple[str, list[str]]:
    """`registry.domain.term.status_on` of the rm_agreements row `a` on `on`:
    the same tests in the same order. Returns the expression and its parameters."""
    day = on.isoformat()
    return ("CASE WHEN a.terminated_on IS NOT NULL AND ? > a.terminated_on THEN 'terminated' "
            "WHEN ? < a.first_starts_on THEN 'pending' "
            f"WHEN {_IN_A_TERM} THEN 'active' "
            "WHEN ? > a.last_ends_on THEN 'expired' "
            "ELSE 'lapsed' END", [day] * 5)


def enrollment_status(on: date) -> tuple[str, list[str]]:
    """`registry.domain.coverage_rules.enrollment_status_on` of an rm_enrollments row
    on `on` (its columns `status`, `starts_on`, `covered_until`)."""
    day = on.isoformat()
    return ("CASE WHEN status = 'voided' THEN 'voided' "
            "WHEN covered_until < ? OR covered_until < starts_on THEN 'ended' "
            "WHEN starts_on > ? THEN 'pending' "
            "ELSE 'active' END", [day, day])


def covers(first: date, last: date) -> tuple[str, list[str]]:
    """`registry.domain.coverage_rules.covers`: whether an rm_enrollments row covers
    any day from `first` to `last` (`covered_on` a day: first = last)."""
    return ("(status != 'voided' AND starts_on <= covered_until "
            "AND starts_on <= ? AND ? <= covered_until)", [last.isoformat(), first.isoformat()])


def covers_month(row: str, month: str) -> str:
    """`registry.domain.coverage_rules.covers` of the rm_enrollments row `row` and the
    whole month named by the "YYYY-MM" column `month`: ISO dates compare as text, and
    no day of a month sorts after its "-31"."""
    return (f"({row}.status != 'voided' AND {row}.starts_on <= {row}.covered_until "
            f"AND {row}.starts_on <= {month} || '-31' AND {month} || '-01' <= {row}.covered_until)")
