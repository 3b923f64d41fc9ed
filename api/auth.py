"""Bearer tokens: who the request acts as, and what it may see and change.

Registrars write and read inside their regions, auditors only read, admins
do everything. What a token may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from flask import current_app, g, request

from api.errors import ApiProblem
from registry.domain.token import Principal, TokenExpired

WITNESS_PATHS = ("/api/v1/log/",)  # all a witness token reaches
PUBLIC_PATHS = ("/health", "/openapi.json", "/docs", "/api/v1/health",
                "/api/v1/openapi.json", "/api/v1/docs",
                # Probes and scrapers (api/operations.py) hold no token.
                "/livez", "/readyz", "/metrics", "/api/v1/livez", "/api/v1/readyz",
                "/api/v1/metrics")


def authenticate() -> None:
    """before_request: resolve the token into `g.principal` or answer 401."""
    if request.path.startswith(PUBLIC_PATHS) or not request.path.startswith("/api/"):
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem("unauthorized", "send Authorization: Bearer <token>",
                         {"WWW-Authenticate": 'Bearer realm="registry"'})
    try:
        principal = current_app.extensions["registry"].tokens.authenticate(token.strip())
    except TokenExpired as e:
        raise ApiProblem("token_expired", e.detail, {"WWW-Authenticate": (
            'Bearer realm="registry", error="invalid_token", '
            'error_description="the token has expired"')}) from None
    if principal is None:
        raise ApiProblem("unauthorized", "the token is unknown or revoked",
                         {"WWW-Authenticate": 'Bearer realm="registry", error="invalid_token"'})
    if principal.role == "witness" and not request.path.startswith(WITNESS_PATHS):
        raise ApiProblem("forbidden", "witness tokens only read the log and post cosignatures")
    g.principal = principal


def principal() -> Principal:
    return g.principal


def require_visible(region_code: str, what: str) -> None:
    if not principal().can_see(region_code):
        raise ApiProblem("not_found", f"no {what}")


def require_write(region_code: str) -> None:
    who = principal()
    if who.role == "auditor":
        raise ApiProblem("forbidden", "auditor tokens can read but never write")
    if not who.can_write(region_code):
        raise ApiProblem("forbidden",
                         f"token {who.name!r} may not write in region {region_code}")
