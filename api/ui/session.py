"""Web sessions: who a page request acts as.

A session is a signed cookie (`HttpOnly`, `SameSite=Lax`, `Secure` behind
HTTPS) holding the SHA-256 of the token it was opened with, never the token,
and when it was opened. Every request looks the token up again, so revoking
or expiring the token ends its sessions at once; a session also ends
`REGISTRY_UI_SESSION_MINUTES` after login. The cookie's signing key is derived
from the log's signing key, which every worker process already shares.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from registry.audit import keys
from registry.domain.token import Principal, TokenExpired, digest

COOKIE = "registry_session"


class PageSessions(SecureCookieSessionInterface):
    """Sessions for the pages only: the JSON API authenticates each request by its token."""

    def open_session(self, app: Flask, request: Any) -> Any:
        if not request.path.startswith("/ui"):
            return None  # Flask's null session: no cookie is read or set
        app.secret_key = _secret(app.extensions["registry"].settings.signing_key_path)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(request.is_secure)


@functools.lru_cache(maxsize=8)
def _secret(signing_key_path: str) -> bytes:
    raw = keys.signing_key(signing_key_path).private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"registry ui session cookie v1").derive(raw)


def init_app(app: Flask) -> None:
    app.session_interface = PageSessions()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_PATH="/ui",
                      WTF_CSRF_TIME_LIMIT=None,  # the session's own lifetime bounds it
                      WTF_CSRF_FIELD_NAME="csrf_token")


def lifetime_seconds() -> int:
    return current_app.extensions["registry"].settings.ui_session_minutes * 60


def start(token: str) -> Principal | None:
    """Open a session for `token`; None (and no session) if it is unknown or revoked.
    Raises `TokenExpired` for an expired one."""
    who = current_app.extensions["registry"].tokens.authenticate(token)
    if who is None or who.role == "witness":
        return None
    lang = session.get("lang")
    session.clear()
    session.update(token=digest(token), since=int(time.time()))
    if lang:
        session["lang"] = lang
    session.permanent = True
    current_app.permanent_session_lifetime = lifetime_seconds()
    return who


def end() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def principal() -> Principal | None:
    """Who the session acts as, if it is live; ends a stale session."""
    hashed, since = session.get("token"), session.get("since")
    if not hashed or not isinstance(since, int):
        return None
    if time.time() - since > lifetime_seconds():
        _end(expired=True)
        return None
    try:
        who: Principal | None = current_app.extensions["registry"].tokens.authenticate_digest(
            hashed)
    except TokenExpired:
        who = None
    if who is None:
        _end(expired=True)
    return who


def _end(*, expired: bool) -> None:
    end()
    g.session_expired = expired


def expired() -> bool:
    return bool(g.get("session_expired"))


def check_csrf() -> None:
    """Every POST to a page carries the session's CSRF token, or nothing happens."""
    if request.method != "POST":
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as e:
        raise CSRFError(e.args[0]) from None
