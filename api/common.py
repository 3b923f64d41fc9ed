"""Helpers every blueprint uses: the registry, visibility, documented problems."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import current_app

from api import auth
from api.blueprint import Blueprint
from api.schemas.common import ProblemSchema
from registry.domain.agreement import Agreement
from registry.bootstrap import Registry

_doc = Blueprint("problems", __name__)


def registry() -> Registry:
    return current_app.extensions["registry"]


def visible_agreement(agreement_id: UUID, **as_of: Any) -> Agreement:
    """The agreement, or 404 if it does not exist or lies outside the token's regions."""
    agreement = registry().app.get_agreement(agreement_id, **as_of)
    auth.require_visible(agreement.region_code, f"agreement {agreement_id}")
    return agreement


def with_problems(view: Any) -> Any:
    """Document the problem+json answers an endpoint can give."""
    for status in (400, 401, 403, 404, 409, 412, 413, 415, 422):
        view = _doc.alt_response(status, schema=ProblemSchema,
                                 content_type="application/problem+json",
                                 description="problem+json")(view)
    return view
