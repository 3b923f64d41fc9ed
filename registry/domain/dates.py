"""The two clocks: business dates in Jakarta, record time in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

# Western Indonesian Time has no daylight saving: a fixed offset needs no tzdata.
JAKARTA = timezone(timedelta(hours=7), "WIB")


def today() -> date:
    """Today's business date in Asia/Jakarta."""
    return datetime.now(JAKARTA).date()


def utc_iso(moment: datetime) -> str:
    """An instant as ISO 8601 UTC with a `Z`, fixed width: text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def recorded_on(moment: datetime) -> date:
    """The business day (Jakarta) on which an instant of record time fell."""
    return moment.astimezone(JAKARTA).date()


def recorded_relative_to(moment: datetime, day: date) -> str:
    """Whether a record made at `moment` was made `before` the business day `day`, on
    `the_same_day`, or `after` it: what an auditor asks of each event behind an answer
    about that day (an enrollment recorded after the accident is a backdated one)."""
    made = recorded_on(moment)
    if made < day:
        return "before"
    return "the_same_day" if made == day else "after"


def recorded_between(first: date | None, last: date | None
                     ) -> tuple[str | None, str | None]:
    """Record times (`utc_iso` text) of the business days `first` to `last` (Jakarta,
    inclusive): the first instant of `first`, and the first instant after `last`."""
    def start(day: date) -> str:
        return utc_iso(datetime(day.year, day.month, day.day, tzinfo=JAKARTA))

    return (start(first) if first else None,
            start(last + timedelta(days=1)) if last else None)
