"""Placeholder: replaced by the page's own module."""

from __future__ import annotations

from typing import Any

from flask import render_template

from api.ui.blueprint import bp


@bp.route("/agreements")
def agreements() -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404


@bp.route("/agreements/<uuid:agreement_id>")
def agreement(agreement_id: Any) -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404


@bp.route("/regions/<code>")
def region(code: str) -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404
