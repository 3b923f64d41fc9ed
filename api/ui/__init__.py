"""The auditor workbench: server-rendered pages under /ui/ (DESIGN.md 14).

Pages read through the same read side (`projections.views`) and the same
principal rules (`registry.domain.token.Principal`) as the JSON API; a page
never runs a query or a rule of its own. Bahasa Indonesia by default, English
with `?lang=en`; every page works with JavaScript off (htmx only enhances).
"""

from __future__ import annotations

from flask import Flask, redirect, url_for

from api.ui import i18n, session, words
from api.ui.blueprint import bp
from api.ui.pages import register_pages


def init_app(app: Flask) -> None:
    """Serve the pages from `app`: sessions, translations, CSRF, and `/` -> `/ui/`."""
    session.init_app(app)
    i18n.init_app(app)
    words.init_app(app)
    register_pages()
    app.register_blueprint(bp)
    app.add_url_rule("/", endpoint="root", view_func=lambda: redirect(url_for("ui.dashboard")))
