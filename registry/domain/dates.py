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
