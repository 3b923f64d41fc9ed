"""The Region aggregate: a region's coverage (UCJ) target for each year."""

from __future__ import annotations

from functools import reduce

import pytest

from events import CoverageTargetSet, RegionRegistered
from registry.domain.context import Context
from registry.domain.errors import ValidationFailed
from registry.domain.region import Region

ctx = Context("admin:sumut", request_id="r-1")


def registered(code: str = "12.22") -> Region:
    return Region.register(ctx, code)


def test_registering_a_region_records_its_code_in_a_stream_named_by_it():
    # Register Labuhanbatu Selatan.
    region = registered()

    [event] = region.collect_events()
    assert isinstance(event, RegionRegistered)
    assert (event.region_code, event.actor, event.request_id) == ("12.22", "admin:sumut", "r-1")
    assert region.id == Region.create_id("12.22") != Region.create_id("12.71")
    assert region.region_code == "12.22"
    assert region.targets == {}


@pytest.mark.parametrize("code", ["12.2", "1", "12.22.01", "", "Medan"])
def test_a_region_needs_a_kemendagri_code(code):
    with pytest.raises(ValidationFailed) as raised:
        Region.register(ctx, code)
    assert raised.value.errors == {"region_code": 'must look like "12" or "12.75"'}
    assert raised.value.detail == "region_code: not a Kemendagri code"


def test_a_target_is_a_share_of_the_years_workforce_and_a_later_one_replaces_it():
    # Register. Set 2023's target. Set it again.
    region = registered()
    region.set_target(ctx, 2023, 150_000, 40)
    region.set_target(ctx, 2023, 152_000, 42.5)
    region.set_target(ctx, 2024, 155_000, 45)

    assert region.targets == {
        "2023": {"workforce": 152_000, "target_percent": 42.5},
        "2024": {"workforce": 155_000, "target_percent": 45.0},
    }
    event = region.collect_events()[1]
    assert isinstance(event, CoverageTargetSet)
    assert (event.year, event.workforce, event.target_percent) == (2023, 150_000, 40.0)
    assert type(event.target_percent) is float
    assert event.actor == "admin:sumut"


def test_targets_replay_to_the_same_state():
    region = registered()
    region.set_target(ctx, 2023, 150_000, 40)
    replayed = reduce(lambda a, e: e.mutate(a), region.collect_events(), None)
    assert replayed.targets == region.targets
    assert replayed.region_code == "12.22"


@pytest.mark.parametrize(("year", "workforce", "percent"), [
    (2000, 1, 0.01), (2100, 1, 100), (2023, 1, 100.0),
])
def test_the_edges_of_each_range_are_allowed(year, workforce, percent):
    region = registered()
    region.set_target(ctx, year, workforce, percent)
    assert region.targets[str(year)] == {"workforce": workforce, "target_percent": percent}


@pytest.mark.parametrize(("year", "workforce", "percent", "errors", "detail"), [
    (1999, 100, 40, {"year": "out of range"}, "year: must be between 2000 and 2100"),
    (2101, 100, 40, {"year": "out of range"}, "year: must be between 2000 and 2100"),
    (2023, 0, 40, {"workforce": "too small"}, "workforce: must be at least 1"),
    (2023, 100, 0, {"target_percent": "out of range"},
     "target_percent: must be above 0 and at most 100"),
    (2023, 100, 100.5, {"target_percent": "out of range"},
     "target_percent: must be above 0 and at most 100"),
])
def test_a_target_out_of_range_is_refused_by_field(year, workforce, percent, errors, detail):
    region = registered()
    with pytest.raises(ValidationFailed) as raised:
        region.set_target(ctx, year, workforce, percent)
    assert raised.value.errors == errors
    assert raised.value.detail == detail
    assert region.targets == {}
