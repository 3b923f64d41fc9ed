"""/ui/login and /ui/logout."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.ui import session
from api.ui.blueprint import bp
from registry.domain.token import TokenExpired


def _next_page(raw: str | None) -> str:
    """Where to go after login: a page of this site, never elsewhere."""
    if raw and raw.startswith("/ui/") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return url_for("ui.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    next_page = _next_page(request.values.get("next"))
    if request.method == "GET":
        message = _("Your session has ended; log in again.") \
            if request.args.get("expired") else None
        return render_template("login.html", message=message, next_page=next_page)
    token = (request.form.get("token") or "").strip()
    try:
        who = session.start(token) if token else None
    except TokenExpired:
        message = _("This token has expired; ask your administrator for a new one.")
    else:
        if who is not None:
            return redirect(next_page, 303)
        message = _("This token is unknown or has been revoked.")
    return render_template("login.html", message=message, next_page=next_page), 401


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.end()
    return redirect(url_for("ui.login"), 303)
