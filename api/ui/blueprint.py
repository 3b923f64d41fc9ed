"""The blueprint every page registers on, and what each page request goes through."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from api.errors import STATUS_OF_CODE, ApiProblem
from api.ui import session
from registry.domain.errors import NotFound

bp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates",
               static_folder="static", static_url_path="/static")

OPEN_ENDPOINTS = ("ui.login", "ui.static")


@bp.before_request
def signed_in() -> Any:
    """Every page but the login form needs a live session; POSTs need the CSRF token."""
    session.check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    who = session.principal()
    if who is None:
        return redirect(url_for("ui.login", next=request.full_path if request.args
                                else request.path, expired=1 if session.expired() else None))
    g.principal = who
    return None


@bp.after_request
def not_cached(response: Any) -> Any:
    """Pages show personal data: no shared cache keeps them, the browser does not store them."""
    if request.endpoint != "ui.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@bp.errorhandler(CSRFError)
def bad_csrf(error: CSRFError) -> Any:
    return render_template("error.html", status=400, problem="csrf"), 400


@bp.errorhandler(ApiProblem)
def refused(error: ApiProblem) -> Any:
    """The API's refusals (forbidden, not found) as a page."""
    status = STATUS_OF_CODE.get(error.code, 400)
    problem = {403: "forbidden", 404: "not_found"}.get(status, "refused")
    return render_template("error.html", status=status, problem=problem), status


@bp.errorhandler(NotFound)
def not_found(error: NotFound) -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404


@bp.errorhandler(404)
def no_page(error: Any) -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404
