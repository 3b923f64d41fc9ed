"""The Region aggregate: a regency's or province's coverage targets by year.

UCJ (Universal Coverage Jamsostek) is the share of a region's workforce
protected by BPJS Ketenagakerjaan; regions set a target per year.
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import CoverageTargetSet, RegionRegistered, RegistryEvent
from registry.domain import region_codes as regions
from registry.domain.context import Context
from registry.domain.errors import ValidationFailed
from registry.domain.ids import derived_id

# The years a coverage target may be set for.
FIRST_TARGET_YEAR, LAST_TARGET_YEAR = 2000, 2100


class Region(Aggregate):
    TOPIC = "Region"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = RegionRegistered  # type: ignore[assignment]

    def __init__(self) -> None:
        self.targets: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(region_code: str) -> UUID:
        return derived_id("region", region_code)

    @classmethod
    def register(cls, ctx: Context, region_code: str) -> Region:
        if not regions.is_region_code(region_code):
            raise ValidationFailed("region_code: not a Kemendagri code",
                                   {"region_code": 'must look like "12" or "12.75"'})
        return cls._create(RegionRegistered, id=cls.create_id(region_code),
                           **ctx.stamp_with_reason(),
                           region_code=region_code)

    def set_target(self, ctx: Context, year: int, workforce: int, target_percent: float) -> None:
        """Set (or replace) the year's target: a share of the region's workforce."""
        if not FIRST_TARGET_YEAR <= year <= LAST_TARGET_YEAR:
            raise ValidationFailed(
                f"year: must be between {FIRST_TARGET_YEAR} and {LAST_TARGET_YEAR}",
                {"year": "out of range"})
        if workforce < 1:
            raise ValidationFailed("workforce: must be at least 1", {"workforce": "too small"})
        if not 0 < target_percent <= 100:
            raise ValidationFailed("target_percent: must be above 0 and at most 100",
                                   {"target_percent": "out of range"})
        self.trigger_event(CoverageTargetSet, **ctx.stamp_with_reason(), year=year,
                           workforce=workforce,
                           target_percent=float(target_percent))

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(RegionRegistered)
    def _registered(self, e: RegionRegistered) -> None:
        self.region_code = e.region_code

    @when.register(CoverageTargetSet)
    def _target_set(self, e: CoverageTargetSet) -> None:
        self.targets[str(e.year)] = {"workforce": e.workforce, "target_percent": e.target_percent}
