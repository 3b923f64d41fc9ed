"""/ui/workers/<nik>: a worker's coverage over time, every event, and what the
registry said at an earlier record time; and the certificate to download."""

from __future__ import annotations

from typing import Any

from flask import Response, json, render_template, request

from api import access, auth, certificates
from api.common import read_models, registry
from api.ui import evidence, forms
from api.ui.blueprint import bp
from projections import views
from registry.audit import certificate
from registry.domain.dates import today
from registry.domain.errors import NotFound

HISTORY_PAGE = 50


def _nik(nik: str) -> str:
    found, problem = forms.nik_value(nik)
    if problem:
        raise NotFound("not a NIK")
    return found


@bp.route("/workers/<nik>")
def worker(nik: str) -> Any:
    nik = _nik(nik)
    on, on_error = forms.day_field("on", today())
    known_at, known_error = forms.moment_field("known_at")
    errors = {"on": on_error, "known_at": known_error}
    if on is None or known_error:
        on, known_at = today(), None
    who = auth.principal()
    page = evidence.worker_page(who, nik, on, known_at)
    events, next_after = views.worker_history(read_models(), nik, scopes=who.scopes,
                                              after=forms.page_cursor(), limit=HISTORY_PAGE)
    access.shown([access.subject_of(nik)])
    return render_template(
        "worker.html", nik=nik, on=on, known_at=known_at, raw=request.args, errors=errors,
        page=page, events=evidence.flagged(events, on, known_at), next_after=next_after,
    ), 422 if any(errors.values()) else 200


@bp.route("/workers/<nik>/certificate")
def worker_certificate(nik: str) -> Any:
    """The coverage certificate of DESIGN.md 10, as the API gives it, as a download."""
    nik = _nik(nik)
    on, problem = forms.day_field("on", today())
    if problem or on is None:
        raise NotFound("not a date")
    certificates.require_whole_stream_visible(nik)
    built = certificate.build(registry().log, nik, on)
    access.shown([access.subject_of(nik)])
    return Response(json.dumps(built, indent=2), mimetype="application/json", headers={
        "Content-Disposition":
            f'attachment; filename="coverage-certificate-{nik[:6]}-{on.isoformat()}.json"'})
