"""What the worker and check pages show, read through the API's read side."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from api.common import read_models
from api.ui import charts, i18n
from projections import views
from registry.domain.dates import recorded_relative_to
from registry.domain.errors import NotFound
from registry.domain.token import Principal

EVENTS_SHOWN = 200  # a worker has a handful; a cap keeps a page bounded all the same
WORKER_FIELDS = ("name", "birth_date", "sex", "occupation", "address", "deceased_on")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def flagged(events: list[dict[str, Any]], day: date, known_at: datetime | None
            ) -> list[dict[str, Any]]:
    """Each event with when it was recorded relative to `day`, and whether it was
    recorded after `known_at` (so it is not part of what the registry said then)."""
    return [{**e, "relative": recorded_relative_to(_instant(e["recorded_at"]), day),
             "unknown_then": bool(known_at and _instant(e["recorded_at"]) > known_at)}
            for e in events]


@dataclass
class Answer:
    """Was the worker covered on `on`, as recorded by `known_at`: and on what it rests."""

    covered: bool
    programs: list[str]
    coverages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    visible: bool


def was_covered(who: Principal, nik: str, on: date, known_at: datetime | None) -> Answer:
    runner = read_models()
    found = views.coverage(runner, nik, on=on, scopes=who.scopes, known_at=known_at)
    try:
        events, _ = views.worker_history(runner, nik, scopes=who.scopes, after=0,
                                         limit=EVENTS_SHOWN)
    except NotFound:
        return Answer(False, [], [], [], visible=False)
    agreements = sorted({c["agreement_id"] for c in found["coverages"]})
    events = sorted(events + views.agreement_events(runner, agreements),
                    key=lambda e: e["position"])
    return Answer(found["covered"], found["programs"], found["coverages"],
                  flagged(events, on, known_at), visible=True)


@dataclass
class WorkerPage:
    worker: dict[str, Any] | None  # as recorded by known_at; None: not recorded by then
    changed_fields: set[str] = field(default_factory=set)
    new_since: set[str] = field(default_factory=set)  # enrollments recorded after known_at
    changed_status: set[str] = field(default_factory=set)
    chart: Markup | None = None


def worker_page(who: Principal, nik: str, on: date, known_at: datetime | None) -> WorkerPage:
    """The worker on `on` as recorded by `known_at`, with what has changed in the record
    since then marked; NotFound where the principal may not read the worker."""
    runner = read_models()
    now = views.worker(runner, nik, on=on, scopes=who.scopes)
    if known_at is None:
        return WorkerPage(now, chart=_chart(now, on))
    try:
        then = views.worker(runner, nik, on=on, scopes=who.scopes, known_at=known_at)
    except NotFound:
        return WorkerPage(None, new_since={c["enrollment_id"] for c in now["coverages"]})
    before = {c["enrollment_id"]: c for c in then["coverages"]}
    return WorkerPage(
        then,
        changed_fields={f for f in WORKER_FIELDS if then.get(f) != now.get(f)},
        new_since={c["enrollment_id"] for c in now["coverages"]} - set(before),
        changed_status={c["enrollment_id"] for c in now["coverages"]
                        if c["enrollment_id"] in before
                        and before[c["enrollment_id"]]["status"] != c["status"]},
        chart=_chart(then, on))


def _chart(worker: dict[str, Any], on: date) -> Markup | None:
    """The worker's coverage periods on the time line the agreement page draws its terms on,
    the day asked about marked."""
    spans = [charts.Span(c["agreement_number"], date.fromisoformat(c["starts_on"]),
                         date.fromisoformat(c["covered_until"] or c["ends_on"]), c["status"])
             for c in worker["coverages"]
             if c.get("starts_on") and (c["covered_until"] or c["ends_on"])]
    if not spans:
        return None
    day = i18n.long_date(on)
    years = range(min(s.first for s in spans + [charts.Span("", on, on, "")]).year,
                  max(s.last for s in spans + [charts.Span("", on, on, "")]).year + 2)
    periods = "; ".join(_("%(agreement)s from %(first)s to %(last)s", agreement=s.label,
                          first=i18n.long_date(s.first), last=i18n.long_date(s.last))
                        for s in spans)
    return charts.time_line(
        "coverage-chart", _("Coverage periods on a time line; the red line marks %(day)s.",
                            day=day), periods,
        spans, [charts.Mark(on, day)], [(date(y, 1, 1), str(y)) for y in years])
