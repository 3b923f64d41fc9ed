"""`Idempotency-Key` on POST: a retry with the same key and body replays the first answer.

The first request with a key claims it. A retry with the same key and body
gets the first answer again and writes nothing; the same key with another
body is `422 idempotency_key_reused`; a retry while the first is still running
is `409 concurrent_update`. Keys belong to the token that sent them.

Only final answers are kept (`is_final`); after any other, the key is
released and a retry runs again. The key is marked applied in the same
transaction as the events its request writes (registry/store/idempotency.py), so a
retry after a crash between that commit and keeping the answer is told the
request was applied (`lost_answer`) and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import Response, current_app, g, request

from api.errors import ApiProblem
from registry.bootstrap import Registry
from registry.store.idempotency import Answer, Claim

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,200}")
KEPT_HEADERS = ("Content-Type", "Location", "ETag")

# The refusals kept, each final because the same request would always get it
# again, whatever else is written meanwhile. Every other refusal depends on the
# state the request met, and is released so that a retry runs again (a
# refusal wrote nothing, so running it again is safe):
# - `validation_failed` 422: some are the body alone, but others compare it with
#   what is stored (a batch's rows refused for quota or coverage, a parent MOU
#   not yet signed, a termination after the last term's end before a renewal);
#   the code does not tell them apart, and re-running one costs a refusal.
# - `not_found` 404: the agreement or worker may be written later.
# - `forbidden` 403, `quota_exceeded`, `already_covered`, `agreement_not_active`,
#   `worker_deceased`, `invalid_transition` and any other 409: they depend on the
#   agreement's or the worker's state, which later writes change (an amendment
#   raises a quota, a void ends a coverage).
# - `concurrent_update` 409, `precondition_failed` 412, 413, 429 and 5xx:
#   transient by nature.
KEPT_REFUSALS = {
    "malformed_request": "the same bytes never parse",
    "duplicate_agreement_number": "a number once signed stays taken: nothing is deleted",
}


def _registry() -> Registry:
    return current_app.extensions["registry"]


def fingerprint(path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same request" for a key."""
    return hashlib.sha256(b"\n".join([path.encode(), query, body])).hexdigest()


def is_final(response: Response) -> bool:
    """Whether the same request would always get this answer (so it is kept)."""
    if 200 <= response.status_code < 300:
        return True
    if response.mimetype != "application/problem+json":
        return False
    try:
        code = json.loads(response.get_data()).get("code")
    except ValueError:
        return False
    return code in KEPT_REFUSALS


def claim() -> Response | None:
    """before_request: claim the key, or answer a retry from what was kept."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None or "principal" not in g:
        return None
    if not _KEY.fullmatch(key):
        raise ApiProblem("validation_failed", f"{HEADER} must be 1-200 visible ASCII characters",
                         errors={HEADER: "1-200 visible ASCII characters"})
    reg = _registry()
    found = reg.idempotency.claim(g.principal.name, key, fingerprint(
        request.path, request.query_string, request.get_data(cache=True)),
        ttl=reg.settings.idempotency_ttl)
    if found.outcome == "reused":
        raise ApiProblem("idempotency_key_reused",
                         f"this {HEADER} was used with another request; use a new key")
    if found.outcome == "running":
        raise ApiProblem("concurrent_update",
                         f"the first request with this {HEADER} is still running; retry later")
    if found.outcome == "done":
        assert found.answer is not None
        return _replayed(Response(found.answer.body, status=found.answer.status,
                                  headers=found.answer.headers))
    if found.outcome == "lost":
        return lost_answer(found)
    g.idempotency_held, g.idempotency_secret = found.held, found.secret
    return None


def lost_answer(found: Claim) -> Response:
    """The answer to a retry of a request that was applied but whose answer was lost.

    `200` with the position of the last event it wrote: nothing is written again.
    The first answer (its body, `Location`, `ETag`) cannot be rebuilt; the
    resource itself, read again, shows the result.
    """
    body = {
        "outcome": "applied",
        "position": found.position,
        "detail": f"the first request with this {HEADER} was applied (its last event is at "
                  f"position {found.position}); its answer was lost and it was not applied "
                  "again: read the resource to see the result",
    }
    return _replayed(Response(json.dumps(body), status=200, mimetype="application/json"))


def _replayed(response: Response) -> Response:
    response.headers[REPLAYED] = "true"
    return response


def record(response: Response) -> Response:
    """after_request: keep a final answer for retries; otherwise release the key.

    Releasing never forgets a request that wrote: the store keeps a key
    marked applied whatever the answer (a 5xx after the commit included).
    """
    held = g.pop("idempotency_held", None)
    secret = g.pop("idempotency_secret", None)
    if held is None:
        return response
    keys = _registry().idempotency
    if is_final(response):
        headers = {h: response.headers[h] for h in KEPT_HEADERS if h in response.headers}
        keys.complete(held, secret, Answer(response.status_code, headers,
                                           response.get_data(as_text=True)))
    else:
        keys.release(held)
    return response
