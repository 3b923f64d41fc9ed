"""Per-request plumbing: request ids, media types, body limits, If-Match."""

from __future__ import annotations

import io
import logging
import re
import time
from typing import IO, Any

import flask
from flask import Response, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property

from api.errors import ApiProblem
from registry.domain.context import Context, new_request_id
from registry.service.intake import WORKBOOK

access_log = logging.getLogger("registry.store.access")
# Letters, digits, dot, underscore and hyphen: safe in a log line, a header and a file name.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# A version as the ETag gives it: ASCII digits (str.isdigit also takes "²"), at most 18 of
# them, so that it always fits a 64-bit integer.
_VERSION = re.compile(r"[0-9]{1,18}")
BODY_METHODS = ("POST", "PUT", "PATCH")
CSV_ENDPOINT_SUFFIXES = ("/enrollments/batch", "/corrections/preview")
# Excel workbooks (registry/service/intake): where CSV is taken, the same rows.
WORKBOOK_ENDPOINT_SUFFIXES = ("/enrollments/batch", "/corrections/preview")


def too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"the body is over the limit of {limit} bytes")


class BoundedBody(io.RawIOBase):
    """A request body read through a count of its bytes: one past `limit` is a 413.

    For a body sent without Content-Length (`Transfer-Encoding: chunked`)
    werkzeug wraps the input in a LimitedStream that stops reading at the limit
    without saying so: `get_data()` then answers the first `limit` bytes as if
    they were the whole body, and a CSV cut mid-row would be written. Reading
    one byte past the limit is how a body over it is told from one exactly at it.
    """

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        super().__init__()
        self._raw = raw
        self._limit = limit
        self._read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._read > self._limit:
            raise too_large(self._limit)
        data = self._raw.read(min(len(buffer), self._limit + 1 - self._read))
        self._read += len(data)
        if self._read > self._limit:
            raise too_large(self._limit)
        buffer[:len(data)] = data
        return len(data)


class RegistryRequest(flask.Request):
    """Flask's request, whose body stream counts what it reads against the limit."""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        # With a Content-Length, werkzeug refuses one over the limit and reads no more
        # than it says; only a body of unknown length, which the server ends, needs counting.
        if (limit is None or self.content_length is not None or self.shallow
                or not self.environ.get("wsgi.input_terminated")):
            return super().stream
        return io.BufferedReader(BoundedBody(self.environ["wsgi.input"], limit))


def assign_request_id() -> None:
    """before_request: the client's X-Request-ID if sane, else a new one."""
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if _REQUEST_ID.fullmatch(given) else new_request_id()


def check_body() -> None:
    """before_request: refuse bodies we will not read (too large, wrong type), then read it.

    The whole body is read here, through its count, so that one over the limit
    is refused before any view (or the idempotency record) sees a part of it.
    """
    if request.method not in BODY_METHODS or not request.path.startswith("/api/"):
        return
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise ApiProblem("payload_too_large", f"the body is over the limit of {limit} bytes")
    allowed = {"application/json"}
    if request.path.endswith(CSV_ENDPOINT_SUFFIXES):
        allowed.add("text/csv")
    if request.path.endswith(WORKBOOK_ENDPOINT_SUFFIXES):
        allowed.add(WORKBOOK)
    if request.mimetype not in allowed:
        raise ApiProblem("unsupported_media_type",
                         f"send the body as {' or '.join(sorted(allowed))}, "
                         f"not {request.mimetype or 'no Content-Type'}")
    try:
        request.get_data(cache=True)
    except RequestEntityTooLarge as e:
        raise ApiProblem("payload_too_large", e.description or "the body is too large") from None


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


def context(reason: str | None = None) -> Context:
    """Who asks, in which request, and why (`reason`, optional on every write)."""
    scopes = g.principal.scopes
    return Context(actor=g.principal.name, request_id=g.request_id,
                   regions=tuple(scopes) if scopes is not None else None,
                   idempotency=g.get("idempotency_held"), reason=reason)


def expected_version() -> int | None:
    """The version named by If-Match (`"3"`), None when absent or `*`."""
    if not request.headers.get("If-Match"):
        return None
    tags = request.if_match
    if tags.star_tag:
        return None
    named = list(tags.as_set(include_weak=True))
    # werkzeug parses `""` as a tag of None.
    if len(named) != 1 or not isinstance(named[0], str) or not _VERSION.fullmatch(named[0]):
        raise ApiProblem("precondition_failed",
                         'If-Match must name one version, as the ETag gives it: "3"')
    return int(named[0])
