"""/ui/audit/backdated (the backdating report, as a page and as CSV) and /ui/integrity.

Both answer what `GET /api/v1/audit/backdated` and `GET /api/v1/audit/integrity`
answer (api/history.py), through the same reads and with the same rules: a
token sees only the events of its regions; registrars may not run the
integrity check.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, current_app, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _

from api import access, auth
from api.common import read_models, registry
from api.errors import ApiProblem
from api.ui import forms
from api.ui.blueprint import bp
from api.ui.words import EVENTS
from projections import views
from registry.audit import integrity as integrity_check
from registry.audit import keys
from registry.csvcells import escaped
from registry.domain import region_codes
from registry.domain.dates import today

RECHECK_AFTER_S = 60
PAGE_ROWS = 50
CSV_PAGE_ROWS = 500  # rows read at a time while the CSV is written out
MAX_DAYS = 36_500  # as the API's BackdatedQuery
DEFAULT_DAYS = 7
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)  # as the API's Day
# What an auditor runs on a computer of their own (docs/auditing.md explains each).
OFFLINE_COMMANDS = (
    "LOG_VKEY='{vkey}'\n"
    'registry log verify-proof proof.json --vkey "$LOG_VKEY"\n'
    'registry log verify-certificate bukti-kepesertaan.json --vkey "$LOG_VKEY"')


# The backdating report.

def _min_days() -> forms.Field:
    raw = (request.args.get("min_days") or "").strip()
    if not raw:
        return DEFAULT_DAYS, None
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_DAYS:
        return int(raw), None
    return None, _("Enter a whole number of days from 0 to %(most)s.", most=MAX_DAYS)


def _region() -> forms.Field:
    raw = (request.args.get("region") or "").strip()
    if not raw:
        return None, None
    if not region_codes.is_region_code(raw):
        return None, _('A region code looks like "12" (a province) or "12.75" (a regency '
                       'or city).')
    return raw, None


def _scopes(region: str | None) -> list[str] | None:
    """The token's scopes, narrowed to `region`: where both hold (none, if nowhere)."""
    return region_codes.narrowed(auth.principal().scopes, region)


def _record_day(name: str) -> forms.Field:
    day, error = forms.day_field(name)
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        return None, _("Enter a day from %(first)s to %(last)s.", first=FIRST_DAY.year,
                       last=LAST_DAY.year)
    return day, error


def _actor() -> forms.Field:
    return (request.args.get("actor") or "").strip()[:200] or None, None


FILTERS = ("min_days", "region", "actor", "from", "to")


def _filters() -> tuple[dict[str, Any], dict[str, str]]:
    """The report's filters and the errors of those that are not right."""
    values, errors = {}, {}
    for name, field in (("min_days", _min_days), ("region", _region), ("actor", _actor),
                        ("from", lambda: _record_day("from")),
                        ("to", lambda: _record_day("to"))):
        value, error = field()
        values[name] = value
        if error:
            errors[name] = error
    if values["from"] and values["to"] and values["to"] < values["from"]:
        errors["to"] = _("The last day must not be before the first.")
    return values, errors


def _read(filters: dict[str, Any], before: int | None, limit: int) -> Any:
    return views.backdated(
        read_models(), min_days=filters["min_days"], scopes=_scopes(filters["region"]),
        before=before, limit=limit, actor=filters["actor"], recorded_from=filters["from"],
        recorded_to=filters["to"])


@bp.route("/audit/backdated")
def backdated() -> Any:
    """The report as a page, or with `format=csv` as a download."""
    if request.args.get("format") == "csv":
        return _report_csv()
    return _report_page()


def _report_page() -> Any:
    filters, errors = _filters()
    rows: list[dict[str, Any]] = []
    next_after = None
    after = forms.page_cursor()
    if not errors:
        rows, next_after = _read(filters, after or None, PAGE_ROWS)
        access.shown(access.workers_in(rows))
    kept: dict[str, Any] = {k: v for k, v in request.args.items() if k in FILTERS}
    csv_url = url_for("ui.backdated", **kept, format="csv")
    return render_template("backdated.html", filters=filters, errors=errors, rows=rows,
                           next_after=next_after, first_page=bool(after), csv_url=csv_url,
                           default_days=DEFAULT_DAYS, max_days=MAX_DAYS), 422 if errors else 200


def _csv_header() -> list[str]:
    return [_("NIK"), _("Agreement number"), _("Agreement id"), _("Event type"),
            _("Event"), _("Effective date"), _("Recorded at (UTC)"), _("Days backdated"),
            _("Recorded by"), _("Reason code"), _("Reason"), _("Request id"), _("Died on"),
            _("Recorded after the death"), _("Recorded within 30 days before the death"),
            _("Position in the log")]


def _csv_row(row: dict[str, Any]) -> list[object]:
    yes, no = _("yes"), _("no")
    return [row.get("nik"), row["agreement_number"], row["agreement_id"], row["type"],
            str(EVENTS.get(row["type"], row["type"])), row["effective_on"], row["recorded_at"],
            row["days_backdated"], row["actor"], row["data"].get("reason_code"),
            row.get("reason"), row["request_id"], row["died_on"],
            yes if row["recorded_after_death"] else no,
            yes if row["recorded_within_30_days_before_death"] else no, row["position"]]


def _report_csv() -> Any:
    """The whole filtered report (every page of it), each cell escaped as every CSV the
    registry writes (registry/csvcells.py), with the header in the page's language."""
    filters, errors = _filters()
    if errors:
        return _report_page()  # the page, with the errors beside the fields
    header = _csv_header()

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(escaped(header))
        before: int | None = None
        recorded: set[str] = set()  # one access record per worker for the whole download
        while True:
            rows, before = _read(filters, before, CSV_PAGE_ROWS)
            first_seen = set(access.workers_in(rows)) - recorded
            access.shown(first_seen)
            recorded |= first_seen
            for row in rows:
                writer.writerow(escaped(_csv_row(row)))
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            if before is None:
                return

    region = f"{filters['region']}-" if filters["region"] else ""  # checked: digits and dots
    name = f"backdated-{region}{filters['min_days']}-days-{today().isoformat()}.csv"
    # A byte order mark, so that spreadsheets read the names as UTF-8.
    body = stream_with_context(_with_bom(lines()))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


def _with_bom(chunks: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from chunks


# The integrity page.

def _verifier_key() -> str | None:
    """The log's verifier key, to check its checkpoints offline; None before it has one."""
    try:
        return str(registry().log.vkey(create=False))
    except (keys.KeyFileError, OSError):
        return None


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _check(*, force: bool) -> tuple[dict[str, Any], float, datetime]:
    """The whole check, as `GET /api/v1/audit/integrity` makes it: made afresh when
    asked (`?recheck=1`) or when the last one is over RECHECK_AFTER_S old, else the last
    one, which the page dates. It reads every event (about 150 ms for the demo's 17,825
    on an idle machine): rereading it on every view would make the page the slowest
    there is, and one auditor's reloads a load on the service."""
    now, checked = time.monotonic(), registry()
    # The registry the last check was of, its monotonic time, answer, duration and moment.
    last = current_app.extensions.get("ui.last_integrity_check")
    if last and last[0] is checked and not force and now - last[1] < RECHECK_AFTER_S:
        return last[2], last[3], last[4]
    began = time.perf_counter()
    found = integrity_check.audit(checked, read_models=False).as_dict()
    spent_ms = (time.perf_counter() - began) * 1000
    moment = datetime.now(UTC)
    current_app.extensions["ui.last_integrity_check"] = (checked, now, found, spent_ms, moment)
    return found, spent_ms, moment


@bp.route("/integrity")
def integrity() -> Any:
    """The chain, the tokens and the Merkle tree checked now, as `GET
    /api/v1/audit/integrity` checks them; the newest checkpoint and its cosignatures."""
    if auth.principal().role == "registrar":  # as the API; the error page says 403
        raise ApiProblem("forbidden", "integrity checks are for auditors and admins")
    found, spent_ms, checked_at = _check(force=request.args.get("recheck") == "1")
    kept = views.checkpoints(read_models())
    for checkpoint in (kept["newest"], kept["newest_cosigned"]):
        for cosignature in checkpoint["cosignatures"] if checkpoint else []:
            cosignature["cosigned_moment"] = _moment(cosignature["cosigned_at"])
    tree = found.get("tree") or {}
    newest = kept["newest"]
    since = tree.get("leaves", 0) - newest["tree_size"] if newest else None
    vkey = _verifier_key()
    return render_template("integrity.html", found=found, tree=tree, spent_ms=spent_ms,
                           checked_at=checked_at,
                           newest=newest, cosigned=kept["newest_cosigned"],
                           witness_keys=kept["witness_keys"], since=since,
                           vkey=vkey, offline_commands=OFFLINE_COMMANDS.format(vkey=vkey))
