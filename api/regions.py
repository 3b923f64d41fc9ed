"""/api/v1/regions/{code}: coverage targets and regional coverage (UCJ)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from werkzeug.routing import IntegerConverter

from api import auth, requests
from api.blueprint import Blueprint
from api.common import read_models, registry, with_problems
from api.errors import ApiProblem
from api.schemas.region_contributions import RegionContributionsOut, RegionContributionsQuery
from api.schemas.workers import OnQuery, RegionCoverageOut, TargetIn, TargetOut
from projections import tree_views, views
from registry.domain import region_codes as regions
from registry.domain.dates import today, utc_iso
from registry.domain.region import FIRST_TARGET_YEAR, LAST_TARGET_YEAR
from registry.domain.targets import realised_percent, target_workers

blp = Blueprint("regions", __name__, url_prefix="/api/v1/regions",
                description="Regional coverage against Universal Coverage Jamsostek targets")


def _region(code: str) -> str:
    if not regions.is_region_code(code):
        raise ApiProblem("not_found", f"{code!r} is not a region code such as 12 or 12.75")
    auth.require_visible(code, f"region {code}")
    return code


def _target_view(code: str, year: int, workforce: int, percent: float,
                 covered: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "region_code": code, "year": year, "workforce": workforce, "target_percent": percent,
        "target_workers": target_workers(workforce, percent),
    }
    if covered is not None:
        view["realised_percent"] = realised_percent(covered, workforce)
    return view


class TargetYear(IntegerConverter):
    """`<target_year:year>`: any whole number, which the domain holds to its range (a 422
    naming it); the document states the range."""


def target_year_schema(_converter: IntegerConverter) -> dict[str, Any]:
    return {"type": "integer", "minimum": FIRST_TARGET_YEAR, "maximum": LAST_TARGET_YEAR}


@blp.route("/<string:code>/targets/<target_year:year>")
class Target(MethodView):
    @blp.arguments(TargetIn)
    @blp.response(200, TargetOut)
    @with_problems
    def put(self, body: dict[str, Any], code: str,
            year: int) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Set the region's coverage target for a year (CoverageTargetSet)."""
        auth.require_write(_region(code))
        region, position = registry().app.set_coverage_target(
            requests.context(body["reason"]), code, year, body["workforce"],
            body["target_percent"],
            expected_version=requests.expected_version())
        return ({**_target_view(code, year, body["workforce"], body["target_percent"]),
                 "position": position}, 200, {"ETag": f'"{region.version}"'})


@blp.route("/<string:code>/coverage")
class RegionCoverage(MethodView):
    @blp.arguments(OnQuery, location="query")
    @blp.response(200, RegionCoverageOut)
    @with_problems
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """Distinct workers covered on `on` in the region (a province covers its regencies)."""
        on, known_at = args["on"] or today(), args["known_at"]
        covered, goal = views.region_coverage(read_models(), _region(code), on=on,
                                              known_at=known_at)
        target = (_target_view(code, on.year, goal["workforce"], goal["target_percent"],
                               covered=covered["covered_workers"]) if goal else None)
        return {"region_code": code, "on": on.isoformat(),
                "known_at": utc_iso(known_at) if known_at else None, **covered,
                "target": target}


@blp.route("/<string:code>/contributions")
class RegionContributions(MethodView):
    @blp.arguments(RegionContributionsQuery, location="query")
    @blp.response(200, RegionContributionsOut)
    @with_problems
    def get(self, args: dict[str, Any], code: str) -> dict[str, Any]:
        """What the region's agreements (a province: its regencies' too) owe, month by
        month, `from`..`to` (YYYY-MM), with each agreement's total."""
        owed = tree_views.region_contributions(read_models(), _region(code), args["from_"],
                                               args["to"])
        return {"region_code": code, **owed}
