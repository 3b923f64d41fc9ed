"""/ui/agreements (search and filters) and /ui/agreements/<id> (one agreement).

The list reads what `GET /api/v1/agreements` reads, with the same filters and
scopes, plus a search by number; the agreement page authorises as
`api.common.visible_agreement` does (an agreement outside the token's regions
is not found) and reads the agreement from its own stream, its history a page
at a time, and its workers per month counted in SQL: the Binjai MOU has 5,000
enrollments, and no page reads them one by one.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any
from uuid import UUID

from babel.dates import format_date
from flask import render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from api import access, auth
from api.common import read_models, registry
from api.ui import charts, forms, i18n
from api.ui.blueprint import bp
from projections import ledger_views, tree_views, views
from projections.history import EFFECTIVE_FIELD
from registry.domain import region_codes
from registry.domain.agreement import Agreement
from registry.domain.dates import today
from registry.domain.errors import NotFound
from registry.domain.term import AGREEMENT_STATUSES, Term, standing_of

PAGE = 25
KINDS = ("MOU", "PKS")


def summary(doc: dict[str, Any], on: date) -> dict[str, Any]:
    """An agreement document with what a list row shows of it on `on`: its status,
    its current term's quota and enrolled workers, and the span of its terms."""
    standing = standing_of(doc, on)
    term = doc["terms"][standing.current_term - 1]
    return {**doc, "status": standing.status, "current_term": standing.current_term,
            "enrolled": standing.enrolled, "quota": term["quota"],
            "first_day": doc["terms"][0]["starts_on"], "last_day": doc["terms"][-1]["ends_on"]}


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value if value in allowed else None


@bp.route("/agreements")
def agreements() -> Any:
    who, on = auth.principal(), today()
    number = (request.args.get("number") or "").strip()[:100] or None
    status, kind = _choice("status", AGREEMENT_STATUSES), _choice("kind", KINDS)
    region = (request.args.get("region") or "").strip() or None
    errors: dict[str, str] = {}
    if region is not None and not region_codes.is_region_code(region):
        errors["region"] = _("Enter a region code such as 12 or 12.75.")
    parent = _parent_filter(errors)
    docs: list[dict[str, Any]] = []
    next_after = None
    if not errors:
        docs, next_after = views.find_agreements(
            read_models(), on=on, scopes=who.scopes, number=number, region_code=region,
            kind=kind, status=status, parent_id=parent, after=forms.page_cursor(), limit=PAGE)
    return render_template(
        "agreements.html", items=[summary(d, on) for d in docs], next_after=next_after,
        number=number or "", status=status or "", kind=kind or "", region=region or "",
        parent=parent, errors=errors, statuses=AGREEMENT_STATUSES, kinds=KINDS, on=on,
        first_page=not request.args.get("after"))


def _parent_filter(errors: dict[str, str]) -> str | None:
    raw = (request.args.get("parent") or "").strip()
    if not raw:
        return None
    try:
        return str(UUID(raw))
    except ValueError:
        errors["parent"] = _("This is not an agreement's id.")
        return None


def visible(agreement_id: UUID) -> Agreement:
    """The agreement, or not found if it does not exist or lies outside the regions
    of the page's token (`api.common.visible_agreement`'s rule)."""
    agreement = registry().app.get_agreement(agreement_id)
    if not auth.principal().can_see(agreement.region_code):
        raise NotFound(f"no agreement {agreement_id}")
    return agreement


@bp.route("/agreements/<uuid:agreement_id>")
def agreement(agreement_id: UUID) -> Any:
    who, on = auth.principal(), today()
    found = visible(agreement_id)
    doc = summary(found.document(), on)
    parent = _parent(doc["parent_id"])
    children: list[dict[str, Any]] = []
    more_children = None
    if doc["kind"] == "MOU":
        docs, more_children = views.agreements(read_models(), on=on, scopes=who.scopes,
                                               parent_id=str(agreement_id), limit=50)
        children = [summary(d, on) for d in docs]
    last_day = min(found.terms[-1].ends_on, found.terminated_on or found.terms[-1].ends_on)
    first_day = found.terms[0].starts_on
    owed = views.monthly_contributions(
        read_models(), agreement_id, found.terms, (first_day.year, first_day.month),
        (last_day.year, last_day.month))
    tree = None
    if doc["kind"] == "MOU":
        tree = tree_views.mou_contributions(read_models(), found, (first_day.year,
                                            first_day.month), (last_day.year, last_day.month))
    billed = ledger_views.agreement_ledger(read_models(), agreement_id, first=None, last=None,
                                           on=on)
    events, next_after = views.agreement_history_page(
        read_models(), agreement_id, after=forms.page_cursor(), limit=PAGE)
    access.shown(access.workers_in(events))
    return render_template(
        "agreement.html", a=doc, parent=parent, children=children, tree=_tree(tree),
        more_children=more_children, terms=_terms(found.terms, on),
        terms_chart=_terms_chart(doc, found.terms, on),
        months=_months(owed["months"], on), ledger=_ledger(billed, on),
        total_idr=owed["total_idr"], workers_chart=_workers_chart(doc, owed["months"]),
        events=[history_row(e) for e in events], next_after=next_after, on=on,
        first_page=not request.args.get("after"))


def _tree(owed: dict[str, Any] | None) -> dict[str, Any] | None:
    """An MoU's contributions with its children's: the total, and each child's by id."""
    if owed is None:
        return None
    return {"total_idr": owed["total_idr"],
            "first": _month_label(owed["months"][0]["month"], "MMMM y"),
            "last": _month_label(owed["months"][-1]["month"], "MMMM y"),
            "children": {c["agreement_id"]: c["total_idr"] for c in owed["children"]}}


def _parent(parent_id: str | None) -> dict[str, Any] | None:
    """The parent MOU as the page shows it: linked if the token may see it."""
    if parent_id is None:
        return None
    try:
        found = registry().app.get_agreement(UUID(parent_id))
    except NotFound:
        return {"id": parent_id, "visible": False}
    if not auth.principal().can_see(found.region_code):
        return {"id": parent_id, "visible": False}
    return {"id": parent_id, "visible": True, "agreement_number": found.agreement_number,
            "region_code": found.region_code, "region_name": found.region_name}


def _term_kind(term: Term, terminated_on: date | None, on: date) -> str:
    """The time line's colour of a term on `on`."""
    if terminated_on is not None and term.starts_on > terminated_on:
        return "voided"  # cut off by the termination before it began
    if term.ends_on < on or (terminated_on is not None and terminated_on < on):
        return "ended"
    return "pending" if term.starts_on > on else "active"


def _terms(terms: list[Term], on: date) -> list[dict[str, Any]]:
    return [{"number": i + 1, **t.document(), "current": t.contains(on)}
            for i, t in enumerate(terms)]


def _terms_chart(doc: dict[str, Any], terms: list[Term], on: date) -> Any:
    terminated_on = date.fromisoformat(doc["terminated_on"]) if doc["terminated_on"] else None
    spans = []
    for i, term in enumerate(terms, start=1):
        # A term is drawn as far as it was in force; one the termination voided, whole.
        cut = terminated_on is not None and term.starts_on <= terminated_on
        last = min(term.ends_on, terminated_on) if cut and terminated_on else term.ends_on
        quota = (_("quota %(n)s", n=i18n.number(term.quota)) if term.quota is not None
                 else _("no quota"))
        spans.append(charts.Span(_("Term %(n)s, %(quota)s", n=i, quota=quota),
                                 term.starts_on, last,
                                 _term_kind(term, terminated_on, on)))
    # Today is marked when it falls near the terms; far after them, it would crush them.
    first, last = terms[0].starts_on, terms[-1].ends_on
    near = first - (last - first) / 4 <= on <= last + (last - first) / 4
    marks = [charts.Mark(on, _("Today, %(day)s", day=i18n.long_date(on)))] if near else []
    if terminated_on is not None:
        marks.insert(0, charts.Mark(terminated_on, _("Terminated after %(day)s",
                                                     day=i18n.long_date(terminated_on))))
    years = range(first.year, (max(last, on) if near else last).year + 2)
    ticks = [(date(y, 1, 1), str(y)) for y in years]
    periods = "; ".join(
        _("term %(n)s from %(first)s to %(last)s", n=i, first=i18n.long_date(t.starts_on),
          last=i18n.long_date(t.ends_on)) for i, t in enumerate(terms, start=1))
    description = _("Terms of agreement %(number)s: %(periods)s.", number=doc["agreement_number"],
                    periods=periods)
    if terminated_on is not None:
        description += " " + _("Terminated after %(day)s.", day=i18n.long_date(terminated_on))
    return charts.time_line("terms-chart", _("Terms on a time line"), description, spans,
                            marks, ticks)


def _months(rows: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    this_month = f"{on.year:04d}-{on.month:02d}"
    return [{**r, "label": _month_label(r["month"], "MMMM y"), "to_come": r["month"] > this_month}
            for r in rows]


def _ledger(billed: dict[str, Any], on: date) -> dict[str, Any] | None:
    """The months the ledger has anything for (billed or paid), with their labels; None
    while nothing was ever invoiced."""
    months = [m for m in billed["months"] if m["invoiced_idr"] or m["paid_idr"]]
    if not months:
        return None
    return {**billed, "months": _months(months, on)}


def _month_label(month: str, pattern: str) -> str:
    return format_date(date.fromisoformat(month + "-01"), pattern, locale=str(get_locale()))


def _workers_chart(doc: dict[str, Any], rows: list[dict[str, Any]]) -> Any:
    # A label (and a figure) every `step` months, so that a long agreement stays legible.
    step = max(1, math.ceil(len(rows) / 16))
    cols = [charts.Column(_month_label(r["month"], "MMM yy") if i % step == 0 else "",
                          r["workers"], i18n.number(r["workers"]) if i % step == 0 else "")
            for i, r in enumerate(rows)]
    figures = "; ".join(f"{_month_label(r['month'], 'MMMM y')}: {i18n.number(r['workers'])}"
                        for r in rows)
    return charts.columns(
        "workers-chart", _("Workers covered per month"),
        _("Workers covered under %(number)s on at least one day of each month: %(figures)s.",
          number=doc["agreement_number"], figures=figures), cols)


def history_row(event: dict[str, Any]) -> dict[str, Any]:
    """A history row: the event, the day it takes effect, and what it is about (its
    worker, its agreement), as the history tables show it."""
    data = event["data"]
    field = EFFECTIVE_FIELD.get(event["type"])
    agreement_id = (event["stream"] if event["stream_kind"] == "agreement"
                    else data.get("agreement_id"))
    return {**event, "effective_on": data.get(field) if field else None,
            "name": data.get("name"), "reason_code": data.get("reason_code"),
            "count": data.get("count"), "agreement_id": agreement_id,
            "agreement_number": data.get("agreement_number")}
