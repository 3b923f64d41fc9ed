"""Placeholder: replaced by the page's own module."""

from __future__ import annotations

from typing import Any

from flask import render_template

from api.ui.blueprint import bp


@bp.route("/agreements")
def agreements() -> Any:
    return render_template("error.html", status=404, problem="not_found"), 404
