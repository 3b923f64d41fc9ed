"""Read-your-writes against a replica: `X-Min-Position` in, `X-Replica-Lag` out.

A write answers the `position` of its last event. A client that sends it
back as `X-Min-Position` on a read gets an answer that includes that write:
from the replica once its read models have reached it (waiting up to 2 s),
else from the primary (`X-Read-From: primary`). Without the header, a read
is answered by the replica as it stands, with `X-Replica-Lag`: how many
events of the log its read models have yet to apply. Without a replica the
header is accepted and the primary, always current, answers.
"""

from __future__ import annotations

import re

from flask import Response, request

from api.errors import ApiProblem
from projections.replica import MIN_POSITION, SERVED

# ASCII digits, at most 18 of them: a log position fits a 64-bit integer.
_POSITION = re.compile(r"[0-9]{1,18}")


def take_min_position() -> None:
    """before_request: the position this request's reads must reflect, if any.

    Set on every request, so that a thread's previous request leaves nothing behind.
    """
    SERVED.set(None)
    given = request.headers.get("X-Min-Position")
    if given is None:
        MIN_POSITION.set(None)
        return
    if not _POSITION.fullmatch(given.strip()):
        MIN_POSITION.set(None)
        raise ApiProblem("malformed_request",
                         "X-Min-Position must be a log position: the `position` a write "
                         "answered, a whole number")
    MIN_POSITION.set(int(given))


def report(response: Response) -> Response:
    """after_request: where the reads were served from, and the replica's lag."""
    served = SERVED.get()
    if served is not None:
        response.headers["X-Read-From"] = served.source
        if served.lag is not None:
            response.headers["X-Replica-Lag"] = str(served.lag)
    return response
