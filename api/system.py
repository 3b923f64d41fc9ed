"""/health and the offline documentation page's static files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, send_from_directory
from swagger_ui_bundle import swagger_ui_path

bp = Blueprint("system", __name__)

SWAGGER_STATIC = "/docs-static/"


@bp.get("/health")
@bp.get("/api/v1/health")
def health() -> tuple[dict[str, Any], int]:
    """Whether the database answers, and how far each read model lags the log."""
    reg = current_app.extensions["registry"]
    database_ok = reg.store.ping()
    body: dict[str, Any] = {
        "status": "ok" if database_ok else "unavailable",
        "database": {"engine": reg.settings.database.engine, "ok": database_ok},
        "projections": {},
        "read_only": reg.read_only,
    }
    if reg.copy is not None:  # time travel: what this copy holds
        body["copy"] = reg.copy.as_dict()
    if database_ok:
        body["projections"] = reg.projections.lag()
    if reg.replica is not None:  # None while the replica cannot be reached
        body["replica"] = {"lag": reg.replica.replica_lag()}
    return body, 200 if database_ok else 503


@bp.get(SWAGGER_STATIC + "<path:filename>")
def swagger_static(filename: str) -> Any:
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
