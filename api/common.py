"""Helpers every blueprint uses: the registry, visibility, documented problems."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app

from api import auth
from api.blueprint import Blueprint
from api.schemas.common import ProblemSchema
from projections.runner import ProjectionRunner
from registry.bootstrap import Registry
from registry.domain.agreement import Agreement

_doc = Blueprint("problems", __name__)


def registry() -> Registry:
    return current_app.extensions["registry"]


def read_models() -> ProjectionRunner:
    """What the read side (projections/views.py) reads from: the primary's read
    models, or a replica's (`REGISTRY_READ_DATABASE_URL`)."""
    return registry().reads


def visible_agreement(agreement_id: UUID, **as_of: Any) -> Agreement:
    """The agreement, or 404 if it does not exist or lies outside the token's regions;
    read where the reads are (a replica's log, if there is one: projections/replica.py)."""
    agreement = read_models().aggregate(lambda app: app.get_agreement(agreement_id, **as_of))
    auth.require_visible(agreement.region_code, f"agreement {agreement_id}")
    return agreement


def writable(agreement_id: UUID) -> None:
    """Nothing, if the token may write in the agreement's region: 404 where it may not
    see it, 403 where it may only read it. Read on the primary, which the write
    goes to: a replica may not hold the agreement yet."""
    region_code = registry().app.agreement_region(agreement_id)
    auth.require_visible(region_code, f"agreement {agreement_id}")
    auth.require_write(region_code)


def worker_etag(nik: str) -> dict[str, str]:
    """The worker's version as an ETag header: what `If-Match` names on writes to
    the worker's record and enrollments."""
    return {"ETag": f'"{registry().app.get_worker(nik).version}"'}


def with_problems(view: Any) -> Any:
    """Document the problem+json answers an endpoint can give."""
    for status in (400, 401, 403, 404, 409, 412, 413, 415, 422):
        view = _doc.alt_response(status, schema=ProblemSchema,
                                 content_type="application/problem+json",
                                 description="problem+json")(view)
    return view


def with_probe_limit(view: Any) -> Any:
    """Document the 429 of a write about workers that a scoped token may be refused
    once it has collected too many refusals about other regions' workers (api/access.py)."""
    return _doc.alt_response(429, schema=ProblemSchema, content_type="application/problem+json",
                             description="problem+json; Retry-After says when")(view)
