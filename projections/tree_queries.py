"""Queries for a region's agreements and what they owe: the rows behind
`GET /regions/{code}/contributions` (projections/tree_views.py)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from projections import rules_sql
from projections.agreements import region_clause
from registry.store.db import Cursor


def region_agreements(cur: Cursor, scope: str) -> list[dict[str, Any]]:
    """The documents of the agreements signed for the region (a province: its
    regencies' too), in signing order."""
    clause, params = region_clause("a.region_code", [scope])
    rows = cur.execute(f"SELECT a.doc FROM rm_agreements a WHERE {clause} "  # noqa: S608
                       "ORDER BY a.seq", params).fetchall()
    return [json.loads(row[0]) for row in rows]


def billable_by_agreement(cur: Cursor, scope: str, first_day: date,
                          last_day: date) -> dict[str, int]:
    """For each agreement of the region: the workers it covers on any day of the
    period (`coverage_queries.billable_workers`, for every agreement at once)."""
    covered, covered_params = rules_sql.covers(first_day, last_day)
    clause, scope_params = region_clause("region_code", [scope])
    rows = cur.execute(
        "SELECT agreement_id, COUNT(DISTINCT nik) FROM rm_enrollments "  # noqa: S608
        f"WHERE {covered} AND {clause} AND valid_to IS NULL GROUP BY agreement_id",
        (*covered_params, *scope_params)).fetchall()
    return {str(agreement_id): int(count) for agreement_id, count in rows}
