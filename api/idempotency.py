"""`Idempotency-Key` on POST: a retry with the same key and body replays the first answer.

The first request with a key claims it; its answer, unless a 5xx, is kept.
A retry with the same key and body gets that answer again and writes nothing;
the same key with another body is `422 idempotency_key_reused`; a retry while
the first is still running is `409 concurrent_update`. Keys belong to the
token that sent them.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import Response, current_app, g, request

from api.errors import ApiProblem
from registry.idempotency import IdempotencyStore

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
KEPT_HEADERS = ("Content-Type", "Location", "ETag")


def _keys() -> IdempotencyStore:
    return current_app.extensions["registry"].idempotency


def fingerprint(path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same request" for a key."""
    return hashlib.sha256(b"\n".join([path.encode(), query, body])).hexdigest()


def claim() -> Response | None:
    """before_request: claim the key, or answer a retry from what was kept."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or "principal" not in g:
        return None
    if not _KEY.fullmatch(key):
        raise ApiProblem("validation_failed", f"{HEADER} must be 1-200 visible ASCII characters",
                         errors={HEADER: "1-200 visible ASCII characters"})
    found = _keys().claim(g.principal.name, key, fingerprint(
        request.path, request.query_string, request.get_data(cache=True)))
    if found.outcome == "reused":
        raise ApiProblem("idempotency_key_reused",
                         f"this {HEADER} was used with another request; use a new key")
    if found.outcome == "running":
        raise ApiProblem("concurrent_update",
                         f"the first request with this {HEADER} is still running; retry later")
    if found.outcome == "done":
        replay = Response(found.body, status=found.status, headers=json.loads(found.headers or "{}"))
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    g.idempotency_key = key
    return None


def record(response: Response) -> Response:
    """after_request: keep the answer for retries; a 5xx releases the key instead."""
    key = g.pop("idempotency_key", None)
    if key is None:
        return response
    actor = g.principal.name
    if response.status_code >= 500:
        _keys().release(actor, key)
    else:
        headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
        _keys().complete(actor, key, response.status_code, json.dumps(headers),
                         response.get_data(as_text=True))
    return response
