"""/ui/regions/<code>: a region's coverage against its UCJ targets.

Authorised as `GET /api/v1/regions/<code>/coverage` is: a code that is not a
region code, or a region outside the token's, is not found. Coverage is
counted as that endpoint counts it (a province covers its regencies); the
targets' figures come from `registry.domain.targets`, as the API's do.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from api import auth
from api.common import read_models
from api.ui import charts, i18n
from api.ui.blueprint import bp
from projections import views
from registry.domain import dates, region_codes
from registry.domain.errors import NotFound
from registry.domain.programs import PROGRAMS
from registry.domain.targets import realised_percent, target_workers


def goal(covered: int | None, target: dict[str, Any] | None) -> dict[str, Any] | None:
    """A target as the pages show it: the workers it asks for and, given the workers
    covered, the share of the workforce they are (the API's `target` object)."""
    if target is None:
        return None
    shown = {**target, "target_workers": target_workers(target["workforce"],
                                                        target["target_percent"])}
    if covered is not None:
        shown["realised_percent"] = realised_percent(covered, target["workforce"])
    return shown


def bar_text(covered: int | None, shown: dict[str, Any] | None) -> str:
    """The words after a covered-vs-target bar."""
    if covered is None:
        return _("target %(target)s", target=i18n.number(shown["target_workers"])) \
            if shown else ""
    if shown is None:
        return _("%(covered)s, no target", covered=i18n.number(covered))
    return _("%(covered)s of %(target)s (%(percent)s%% of the target)",
             covered=i18n.number(covered),
             target=i18n.number(shown["target_workers"]),
             percent=i18n.number(round(100 * covered / max(shown["target_workers"], 1), 1)))


def coverage_chart(chart_id: str, title: str, rows: list[tuple[str, int | None,
                                                                 dict[str, Any] | None]]) -> Any:
    """Covered workers (dark) against the target's workers (light), a bar per row."""
    bars = [charts.Bar(label, covered, shown["target_workers"] if shown else None,
                       bar_text(covered, shown)) for label, covered, shown in rows]
    description = "; ".join(f"{label}: {bar.text}" for (label, _c, _s), bar in zip(
        rows, bars, strict=True)) or _("Nothing to show.")
    return charts.horizontal_bars(chart_id, title, _(
        "Workers covered against the UCJ target's workers: %(figures)s.",
        figures=description), bars)


def visible_region(code: str) -> str:
    if not region_codes.is_region_code(code) or not auth.principal().can_see(code):
        raise NotFound(f"no region {code}")
    return code


@bp.route("/regions/<code>")
def region(code: str) -> Any:
    code, today = visible_region(code), dates.today()
    covered, _target = views.region_coverage(read_models(), code, on=today)
    name, targets, by_year = views.region_years(read_models(), code, today)
    by_year[today.year] = covered["covered_workers"]
    years: list[dict[str, Any]] = [
        {"year": year, "covered": by_year.get(year),
         "day": min(today, date(year, 12, 31)) if year in by_year else None,
         "target": goal(by_year.get(year), targets.get(str(year)))}
        for year in sorted({*(int(y) for y in targets), today.year})]
    chart = coverage_chart("region-chart", _("Covered workers against the UCJ target, by year"),
                           [(str(y["year"]), y["covered"], y["target"]) for y in years])
    return render_template("region.html", code=code, name=name, today=today, years=years,
                           chart=chart, covered=covered, programs=PROGRAMS)
