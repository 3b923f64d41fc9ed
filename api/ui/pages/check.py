"""/ui/check: "was this worker covered on this day?" in one page, with its evidence."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from api import access, auth
from api.ui import evidence, forms
from api.ui.blueprint import bp
from registry.domain.dates import today


@bp.route("/check")
def check() -> Any:
    on, on_error = forms.day_field("on", today())
    known_at, known_error = forms.moment_field("known_at")
    nik, nik_error = forms.nik_field() if "nik" in request.args else (None, None)
    answer = None
    if nik and on and not known_error:
        answer = evidence.was_covered(auth.principal(), nik, on, known_at)
        if answer.visible:
            access.shown([access.subject_of(nik)])
    errors = {"nik": nik_error, "on": on_error, "known_at": known_error}
    status = 422 if any(errors.values()) else 200
    return render_template("check.html", nik=nik or request.args.get("nik", ""), on=on,
                           known_at=known_at, raw=request.args, errors=errors,
                           answer=answer), status
