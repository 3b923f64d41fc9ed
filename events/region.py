"""Events of a region's stream: its coverage (UCJ) targets."""

from __future__ import annotations

from typing import Any

from events.base import RegistryCreated, RegistryEvent


class RegionRegistered(RegistryCreated):
    """The first target of a region was set.

    Version 2 added `reason`, the request's (optional on every
    write); earlier versions had none.
    """

    TOPIC = "RegionRegistered"
    class_version = 2

    region_code: str
    reason: str | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = None


class CoverageTargetSet(RegistryEvent):
    """Universal Coverage Jamsostek target of `year`: a share of the workforce.

    Version 2 added `reason`, the request's (optional on every
    write); earlier versions had none.
    """

    TOPIC = "CoverageTargetSet"
    class_version = 2

    year: int
    workforce: int
    target_percent: float
    reason: str | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = None
