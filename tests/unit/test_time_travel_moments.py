"""`--known-at T`: an ISO instant with its zone, or a date meaning the end of that day in WIB."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from registry.audit.timetravel import BadMoment, describe, parse_known_at
from registry.config import Database
from registry.domain.dates import utc_iso


@pytest.mark.parametrize(("given", "instant"), [
    ("2023-01-31", "2023-01-31T16:59:59.999999Z"),  # 23:59:59.999999 WIB
    ("2023-01-31T09:30:00+07:00", "2023-01-31T02:30:00.000000Z"),
    ("2023-01-31T02:30:00Z", "2023-01-31T02:30:00.000000Z"),
    ("2023-01-31T02:30:00.25z", "2023-01-31T02:30:00.250000Z"),
    (" 2023-01-31 ", "2023-01-31T16:59:59.999999Z"),
])
def test_a_moment_is_an_instant_with_its_zone_or_the_end_of_a_day_in_jakarta(
        given: str, instant: str) -> None:
    assert utc_iso(parse_known_at(given)) == instant


@pytest.mark.parametrize(("given", "says"), [
    ("2023-01-31T09:30:00", "has no zone"),
    ("yesterday", "neither a date"),
    ("2023-02-30", "neither a date"),
    ("", "neither a date"),
])
def test_a_moment_that_cannot_be_placed_is_refused(given: str, says: str) -> None:
    with pytest.raises(BadMoment, match=says) as refused:
        parse_known_at(given)
    assert refused.value.option == "--known-at"


def test_a_copy_names_its_source_without_the_password() -> None:
    database = Database.from_url("postgresql://inv:s3cret@db.example:5433/registry?schema=x")
    assert describe(database) == "postgresql://inv@db.example:5433/registry?schema=x"
    assert "s3cret" not in describe(database)
    assert describe(Database.from_url("sqlite:////srv/registry.db")) == (
        "sqlite:////srv/registry.db")
    assert parse_known_at("2023-01-31").tzinfo is not None
    assert parse_known_at("2023-01-31") < datetime(2023, 2, 1, tzinfo=UTC)
