"""Bodies of a region's contributions: its agreements' added up."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import Strict
from api.schemas.workers import ChildTotalOut, ContributionsQuery, MonthOut


class RegionContributionsQuery(ContributionsQuery):
    class Meta:
        ordered = True
        exclude = ("known_at",)


class RegionContributionsOut(Strict):
    region_code = fields.String()
    months = fields.List(fields.Nested(MonthOut), metadata={
        "description": "every agreement of the region added up; no single rate"})
    total_idr = fields.Integer()
    agreements = fields.List(fields.Nested(ChildTotalOut), metadata={
        "description": "each agreement that owes anything in the months, with its total"})
