"""`/livez`, `/readyz` and `/metrics`: for probes and scrapers, without a token.

Like `/health` they answer anyone (api/auth.py PUBLIC_PATHS): a load balancer
or Kubernetes probe holds no token, and none of the three carries personal
data. `/metrics` does show how busy each route is: keep it off the public
internet at the proxy (docs/operations.md).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app

from api import metrics

bp = Blueprint("operations", __name__)
log = logging.getLogger("registry.operations")


@bp.get("/livez")
@bp.get("/api/v1/livez")
def livez() -> tuple[dict[str, Any], int]:
    """The process answers requests. Touches no database: restarting the process
    would not mend one that is unreachable."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
@bp.get("/api/v1/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    """Whether to send this process requests: `503` with `reason` when the database
    is unreachable or the read models are not built for this version."""
    reg = current_app.extensions["registry"]
    try:
        unbuilt = reg.projections.unbuilt() if reg.store.ping() else None
        lag = reg.projections.lag() if unbuilt is not None else {}
    except Exception:  # noqa: BLE001 - lost between the ping and the reads: as unreachable
        log.warning("the readiness check's reads failed", exc_info=True)
        unbuilt = None
    if unbuilt is None:
        return {"status": "unavailable", "reason": "database_unreachable",
                "detail": "the database does not answer"}, 503
    if unbuilt:
        return {"status": "unavailable", "reason": "read_models_building",
                "detail": "read models are being built for this version of the registry: "
                          + ", ".join(unbuilt),
                "projections": lag}, 503
    # A lag alone leaves the process ready: each read catches its read models up first.
    return {"status": "ok", "projections": lag}, 200


@bp.get("/metrics")
@bp.get("/api/v1/metrics")
def metrics_text() -> Response:
    """Prometheus text format: requests by route pattern, and the registry's gauges."""
    return metrics.exposition(current_app.extensions["registry"])
