"""Per-request plumbing: request ids, media types, body limits, If-Match."""

from __future__ import annotations

import logging
import re
import time

from flask import Response, g, request

from api.errors import ApiProblem
from registry.context import Context, new_request_id

access_log = logging.getLogger("registry.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
BODY_METHODS = ("POST", "PUT", "PATCH")
CSV_ENDPOINT_SUFFIXES = ("/enrollments/batch",)


def assign_request_id() -> None:
    """before_request: the client's X-Request-ID if sane, else a new one."""
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.match(given) else new_request_id()


def check_body() -> None:
    """before_request: refuse bodies we will not read (too large, wrong type)."""
    if request.method not in BODY_METHODS or not request.path.startswith("/api/"):
        return
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise ApiProblem("payload_too_large", f"the body is over the limit of {limit} bytes")
    allowed = {"application/json"}
    if request.path.endswith(CSV_ENDPOINT_SUFFIXES):
        allowed.add("text/csv")
    if request.mimetype not in allowed:
        raise ApiProblem("unsupported_media_type",
                         f"send the body as {' or '.join(sorted(allowed))}, "
                         f"not {request.mimetype or 'no Content-Type'}")


def finish(response: Response) -> Response:
    """after_request: echo the request id; log the request (route, never the path)."""
    response.headers["X-Request-ID"] = g.get("request_id", "")
    principal = g.get("principal")
    access_log.info("request", extra={"fields": {
        "request_id": g.get("request_id"),
        "actor": principal.name if principal else None,
        "method": request.method,
        # The URL rule, not the path: paths carry NIKs.
        "route": request.url_rule.rule if request.url_rule else "(no route)",
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - g.get("started", time.perf_counter()))
                             * 1000, 1),
    }})
    return response


def context() -> Context:
    scopes = g.principal.scopes
    return Context(actor=g.principal.name, request_id=g.request_id,
                   regions=tuple(scopes) if scopes is not None else None,
                   idempotency=g.get("idempotency_held"))


def expected_version() -> int | None:
    """The version named by If-Match (`"3"`), None when absent or `*`."""
    if not request.headers.get("If-Match"):
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    versions = [int(t) for t in tags.as_set(include_weak=True) if t.isdigit()]
    if len(versions) != 1:
        raise ApiProblem("precondition_failed",
                         'If-Match must name one version, as the ETag gives it: "3"')
    return versions[0]
