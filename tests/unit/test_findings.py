"""Records made after a worker's recorded death, or in the 30 days before it, are flagged;
the death's own record is not."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain.dates import recorded_between
from registry.domain.findings import DeathFlags, death_flags

DIED = date(2022, 11, 10)


@pytest.mark.parametrize(("event", "code", "effective", "recorded", "flags"), [
    ("WorkerEnrolled", None, date(2022, 10, 1), date(2022, 11, 25), (True, False)),
    ("WorkerEnrolled", None, date(2022, 10, 1), date(2022, 11, 10), (False, True)),
    ("WorkerEnrolled", None, date(2022, 10, 1), date(2022, 10, 11), (False, True)),
    ("WorkerEnrolled", None, date(2022, 10, 1), date(2022, 10, 10), (False, False)),
    ("WorkerDisenrolled", "DECEASED", DIED, date(2022, 12, 1), (False, False)),
    ("WorkerDisenrolled", "DECEASED", date(2022, 11, 30), date(2022, 12, 1), (True, False)),
    ("WorkerDisenrolled", "MOVED_AWAY", DIED, date(2022, 12, 1), (True, False)),
    ("EnrollmentCarriedOver", None, None, date(2022, 12, 1), (True, False)),
])
def test_records_near_a_death_are_flagged_but_not_the_deaths_own(event, code, effective,
                                                                   recorded, flags):
    assert death_flags(event, code, effective, recorded, DIED) == DeathFlags(*flags)


def test_nothing_is_flagged_for_a_worker_with_no_recorded_death():
    assert death_flags("WorkerEnrolled", None, None, DIED, None) == DeathFlags(False, False)


def test_record_days_are_whole_days_in_jakarta():
    assert recorded_between(date(2026, 11, 1), date(2026, 11, 30)) == (
        "2026-10-31T17:00:00.000000Z", "2026-11-30T17:00:00.000000Z")
    assert recorded_between(None, None) == (None, None)
