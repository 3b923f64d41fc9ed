"""The regional targets read model (UCJ targets by region and year)."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any

from events import CoverageTargetSet, RegionRegistered
from projections.base import Projection
from registry.db import Cursor


class TargetsProjection(Projection):
    name = "targets"
    table_names = ("rm_region_targets", "rm_regions")
    tables = (
        "CREATE TABLE IF NOT EXISTS rm_regions (region_id TEXT PRIMARY KEY, "
        "region_code TEXT NOT NULL UNIQUE)",
        """CREATE TABLE IF NOT EXISTS rm_region_targets (
            region_code TEXT NOT NULL,
            year INTEGER NOT NULL,
            workforce BIGINT NOT NULL,
            target_percent DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (region_code, year))""",
    )

    @singledispatchmethod
    def process(self, event: Any, cur: Cursor, position: int) -> None:
        """Other events leave this model alone."""

    @process.register(RegionRegistered)
    def _registered(self, e: RegionRegistered, cur: Cursor, position: int) -> None:
        cur.execute("INSERT INTO rm_regions (region_id, region_code) VALUES (?, ?)",
                    (str(e.originator_id), e.region_code))

    @process.register(CoverageTargetSet)
    def _target_set(self, e: CoverageTargetSet, cur: Cursor, position: int) -> None:
        code = cur.execute("SELECT region_code FROM rm_regions WHERE region_id = ?",
                           (str(e.originator_id),)).fetchone()[0]
        cur.execute(
            "INSERT INTO rm_region_targets (region_code, year, workforce, target_percent) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (region_code, year) DO UPDATE SET "
            "workforce = excluded.workforce, target_percent = excluded.target_percent",
            (code, e.year, e.workforce, e.target_percent))


def target(cur: Cursor, region_code: str, year: int) -> tuple[int, float] | None:
    row = cur.execute("SELECT workforce, target_percent FROM rm_region_targets "
                      "WHERE region_code = ? AND year = ?", (region_code, year)).fetchone()
    return (int(row[0]), float(row[1])) if row else None
