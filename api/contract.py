"""What every API route enforces before its view runs, from what the route declares.

- A method the route does not take is `405` with `Allow` naming those it takes,
  before any other check (a body in the wrong media type must not hide it).
- A query parameter the operation does not declare is `422 validation_failed`
  naming it: a misspelt filter must never silently return everything. What an
  operation declares is read from flask-smorest's record of it: the fields of
  its `@blp.arguments(..., location="query")` schemas and the query parameters
  of its `@blp.doc(parameters=[...])`. An operation that declares none takes none.
- A path parameter named `nik` that is not a well-formed NIK is `422`.

A new endpoint gets all three by declaring its parameters as above and naming a
NIK in its path `<nik:nik>`: nothing to call from the view. `ProblemResponses`
documents on every operation the problem+json answers any operation can give.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from apispec import BasePlugin
from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import BaseConverter

from api.errors import ApiProblem
from api.schemas.common import NIK_PATTERN
from registry.domain import nik as niks

PREFIXES = ("/api/", "/health")


# Static path segments that stand where a NIK could: `/enrollments/batch` is the batch
# route's, never the enrollment of a NIK "batch" (whose GET would hide the batch's 405).
RESERVED_SEGMENTS = ("batch",)


class NikConverter(BaseConverter):
    """`<nik:nik>`: any segment but the reserved ones; `check_nik` judges it, so that a
    malformed NIK is a 422 that says why rather than a 404."""

    regex = "(?!(?:" + "|".join(RESERVED_SEGMENTS) + ")$)[^/]+"


def nik_parameter_schema(_converter: BaseConverter) -> dict[str, Any]:
    return {"type": "string", "pattern": NIK_PATTERN}


# Answers any operation can give, whatever it declares; 405 only where it writes.
EVERY_OPERATION = (400, 401, 403, 404, 409, 412, 413, 415, 422)
WRITES = ("post", "put", "patch", "delete")


class ProblemResponses(BasePlugin):
    """apispec plugin: every operation documents the problem+json answers it can give."""

    def operation_helper(self, path: str | None = None,
                         operations: dict[str, Any] | None = None, **kwargs: Any) -> None:
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            statuses = EVERY_OPERATION + ((405,) if method in WRITES else ())
            for status in statuses:
                responses.setdefault(str(status), {
                    "description": "problem+json",
                    "content": {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}})


def _applies() -> bool:
    return request.path.startswith(PREFIXES)


def _view_method(endpoint: str | None, method: str) -> Callable[..., Any] | None:
    view = current_app.view_functions.get(endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return view
    # Flask answers HEAD with the GET view.
    name = "get" if method == "HEAD" else method.lower()
    return getattr(view_class, name, None)


def _schema_names(schema: Any) -> set[str]:
    instance = schema() if isinstance(schema, type) else schema
    return {f.data_key or name for name, f in instance.fields.items() if not f.dump_only}


@functools.lru_cache(maxsize=512)
def _declared(view: Callable[..., Any]) -> frozenset[str]:
    doc = getattr(view, "_apidoc", {})
    names: set[str] = set()
    for parameter in doc.get("arguments", {}).get("parameters", []):
        if parameter.get("in") in ("query", "querystring"):
            names |= _schema_names(parameter["schema"])
    for parameter in doc.get("manual_doc", {}).get("parameters", []):
        if parameter.get("in") == "query":
            names.add(parameter["name"])
    return frozenset(names)


def declared_query(endpoint: str | None, method: str) -> frozenset[str]:
    """The query parameters the operation takes (none for a plain Flask view)."""
    view = _view_method(endpoint, method)
    return _declared(view) if view is not None else frozenset()


def allowed_methods(rule_methods: Iterable[str]) -> str:
    """The `Allow` header: the route's methods, with OPTIONS (Flask answers it for every
    route) and HEAD where GET is."""
    methods = {*rule_methods, "OPTIONS"}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def check_route() -> None:
    """before_request: an unknown route or method is answered here, before the body,
    the idempotency key or the parameters are looked at."""
    if not _applies() or request.routing_exception is None:
        return
    error = request.routing_exception
    if isinstance(error, MethodNotAllowed):
        raise ApiProblem("method_not_allowed", f"{request.method} is not allowed here",
                         {"Allow": allowed_methods(error.valid_methods or ())})
    raise error


def refuse_unknown_query() -> None:
    """before_request: a query parameter the operation does not declare is a 422."""
    if not _applies() or not request.args or request.method == "OPTIONS":
        return
    known = declared_query(request.endpoint, request.method)
    unknown = sorted(set(request.args) - known)
    if not unknown:
        return
    takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
    raise ApiProblem(
        "validation_failed",
        f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
        f"{', '.join(unknown)}: {takes}",
        errors={name: "Unknown query parameter." for name in unknown})


def check_nik() -> None:
    """before_request: a `nik` in the path must be a NIK that can exist."""
    nik = (request.view_args or {}).get("nik")
    if _applies() and isinstance(nik, str):
        niks.check(nik)
