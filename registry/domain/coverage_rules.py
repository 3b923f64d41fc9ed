"""When an enrollment covers its worker: its status on a date, and the days it covers.

An enrollment is recorded `active`, `ended` (disenrolled) or `voided` (recorded
in error: it never covered anyone). It covers the days from `starts_on` to
`covered_until`, its last covered day once its own end and its agreement's
termination are counted; an agreement terminated before the enrollment began
leaves it covering nothing (`covered_until` before `starts_on`).

These are functions of plain values, so that the Worker aggregate and the
coverage read model ask the same questions the same way. The read model also
asks them in SQL (projections/rules_sql.py), where
tests/integration/test_rules_in_sql.py keeps the two in agreement.
"""

from __future__ import annotations

from datetime import date

# What `enrollment_status_on` answers.
ENROLLMENT_STATUSES = ("active", "ended", "voided", "pending")


def covered_until(ends_on: date, terminated_on: date | None) -> date:
    """The last day an enrollment ending on `ends_on` covers, under an agreement
    terminated on `terminated_on` (None: not terminated)."""
    return ends_on if terminated_on is None else min(ends_on, terminated_on)


def enrollment_status_on(recorded: str, starts_on: date, covered_until: date, on: date) -> str:
    """`voided`, `ended`, `pending` or `active` on `on`, for an enrollment recorded
    with status `recorded` that covers `starts_on` to `covered_until`."""
    if recorded == "voided":
        return "voided"
    if covered_until < on or covered_until < starts_on:
        return "ended"
    if starts_on > on:
        return "pending"
    return "active"


def covers(recorded: str, starts_on: date, covered_until: date, first: date,
           last: date) -> bool:
    """Whether the enrollment covers any day from `first` to `last`: what makes its
    worker billable for a month, and what two enrollments of a worker for one
    program may never both do."""
    return (recorded != "voided" and starts_on <= covered_until
            and starts_on <= last and first <= covered_until)


def covered_on(recorded: str, starts_on: date, covered_until: date, day: date) -> bool:
    """Whether the enrollment covers its worker on `day`."""
    return covers(recorded, starts_on, covered_until, day, day)
