"""What auditors flag about a record and a worker's death: paying for the dead is the
first thing they look for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# A record made this many days before a death is looked at too.
BEFORE_DEATH_DAYS = 30


@dataclass(frozen=True)
class DeathFlags:
    recorded_after_death: bool
    recorded_within_30_days_before_death: bool


def death_flags(event_type: str, reason_code: str | None, effective_on: date | None,
                recorded_on: date, died_on: date | None) -> DeathFlags:
    """Whether a record of the worker was made after the worker's recorded death
    (`died_on`), or in the 30 days before it.

    The death's own record (a DECEASED disenrollment ending on that day, and the
    others it ends on that day) is no finding: it is always made after the death.
    """
    if died_on is None or (event_type == "WorkerDisenrolled" and reason_code == "DECEASED"
                           and effective_on == died_on):
        return DeathFlags(False, False)
    return DeathFlags(recorded_on > died_on,
                      died_on - timedelta(days=BEFORE_DEATH_DAYS) <= recorded_on <= died_on)
