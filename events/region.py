"""Events of a region's stream: its coverage (UCJ) targets."""

from __future__ import annotations

from events.base import RegistryCreated, RegistryEvent, without_reason


class RegionRegistered(RegistryCreated):
    """The first target of a region was set.

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "RegionRegistered"
    class_version = 2

    region_code: str
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


class CoverageTargetSet(RegistryEvent):
    """Universal Coverage Jamsostek target of `year`: a share of the workforce.

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "CoverageTargetSet"
    class_version = 2

    year: int
    workforce: int
    target_percent: float
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)
