"""Events of a region's stream: its coverage (UCJ) targets."""

from __future__ import annotations

from events.base import RegistryCreated, RegistryEvent


class RegionRegistered(RegistryCreated):
    """The first target of a region was set."""

    TOPIC = "RegionRegistered"

    region_code: str


class CoverageTargetSet(RegistryEvent):
    """Universal Coverage Jamsostek target of `year`: a share of the workforce."""

    TOPIC = "CoverageTargetSet"

    year: int
    workforce: int
    target_percent: float
