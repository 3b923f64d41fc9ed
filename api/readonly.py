"""A read-only registry refuses every write under /api/v1 before it begins.

`registry serve --read-only` (or `REGISTRY_READ_ONLY=1`), and always a copy
made for an investigation by `registry replay --into` (registry/store/copies.py):
a request that would write answers `405 read_only`, with `Allow` naming the
methods the route still takes (RFC 9110 15.5.6; only OPTIONS, for a route that
only writes), before its body is looked at or its Idempotency-Key claimed. Reads, and the
pages under /ui/ (whose login opens a session in a cookie, not a write), work
as everywhere. The application refuses saves as well (registry/service/readonly.py).
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from api.errors import ApiProblem

READS = ("GET", "HEAD", "OPTIONS")
PREFIX = "/api/v1/"


def refuse_writes() -> None:
    """before_request: a write to a read-only registry is refused."""
    if request.method in READS or not request.path.startswith(PREFIX):
        return
    registry = current_app.extensions["registry"]
    if not registry.read_only or request.url_rule is None:
        return  # an unknown route: 404 or 405 as anywhere
    try:
        methods = current_app.url_map.bind_to_environ(request.environ).allowed_methods()
    except HTTPException:
        methods = []
    copy = registry.copy
    why = (f"this registry is {copy.describe()}, for investigations" if copy is not None
           else "this registry is served read-only")
    raise ApiProblem("read_only", f"{why}: it writes nothing; {request.method} is refused",
                     {"Allow": ", ".join(m for m in READS if m in methods)})
