"""The two clocks: business dates in Jakarta, record time in UTC with a Z."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from registry.domain import dates


@pytest.fixture
def machine_zone() -> Iterator[None]:
    """The machine's own zone, far from both UTC and Jakarta (POSIX: 10 hours west)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "HST+10"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_an_instant_is_written_in_utc_with_a_z_and_microseconds(machine_zone):
    wib = timezone(timedelta(hours=7))
    assert dates.utc_iso(datetime(2023, 1, 1, 6, 30, tzinfo=wib)) == "2022-12-31T23:30:00.000000Z"
    assert dates.utc_iso(datetime(2023, 1, 1, 0, 0, 0, 5, tzinfo=UTC)) == (
        "2023-01-01T00:00:00.000005Z")


def test_the_text_of_instants_sorts_as_the_instants_do(machine_zone):
    moments = [datetime(2023, 1, 1, 0, 0, 0, 10, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC),
               datetime(2022, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)]
    assert sorted(dates.utc_iso(m) for m in moments) == [dates.utc_iso(m) for m in sorted(moments)]


def test_today_is_the_date_in_jakarta_not_on_the_machine(machine_zone, monkeypatch):
    # 20:00 UTC on new year's eve is already new year's day in Jakarta (UTC+7).
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime(2022, 12, 31, 20, 0, tzinfo=UTC).astimezone(tz)

    monkeypatch.setattr(dates, "datetime", Clock)
    assert dates.today() == date(2023, 1, 1)


def test_a_record_is_before_on_or_after_a_day_by_the_jakarta_calendar() -> None:
    from datetime import UTC, date, datetime

    from registry.domain.dates import recorded_relative_to

    day = date(2023, 3, 15)
    # 16:59 UTC on the 14th is 23:59 WIB on the 14th; 17:00 UTC is already the 15th in Jakarta.
    assert recorded_relative_to(datetime(2023, 3, 14, 16, 59, tzinfo=UTC), day) == "before"
    assert recorded_relative_to(datetime(2023, 3, 14, 17, 0, tzinfo=UTC), day) == "the_same_day"
    assert recorded_relative_to(datetime(2023, 3, 15, 16, 59, tzinfo=UTC), day) == "the_same_day"
    assert recorded_relative_to(datetime(2023, 3, 15, 17, 0, tzinfo=UTC), day) == "after"
