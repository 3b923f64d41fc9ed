"""/ui/: the regions in the token's scope against their targets, the log's state,
and the newest events the token may see.

Only what is cheap: counts in SQL, the newest signed checkpoint as kept, ten
events. Verifying the hash chain reads the whole log; that is the integrity
page's work, linked from here.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _

from api import access, auth
from api.common import read_models
from api.ui.blueprint import bp
from api.ui.pages.agreements import history_row
from api.ui.pages.regions import coverage_chart, goal
from projections import views
from registry.domain import dates

RECENT = 10


@bp.route("/")
def dashboard() -> Any:
    who, today = auth.principal(), dates.today()
    regions = [{**r, "target": goal(r["covered_workers"], r["target"])}
               for r in views.regions_overview(read_models(), scopes=who.scopes, on=today)]
    chart = coverage_chart(
        "regions-chart", _("Covered workers against this year's UCJ target, by region"),
        [(r["region_name"], r["covered_workers"], r["target"]) for r in regions])
    recent = views.recent_events(read_models(), scopes=who.scopes, limit=RECENT)
    access.shown(access.workers_in(recent))
    events = [history_row(e) for e in recent]
    return render_template("dashboard.html", regions=regions, chart=chart, today=today,
                           log=views.log_status(read_models()), events=events)
