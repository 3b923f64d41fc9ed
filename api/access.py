"""Refusals about workers outside a token's regions: kept as accesses, and limited.

A scoped token learns from a refusal at least that a NIK is known elsewhere,
so each such refusal is recorded against the worker refused (registry/store/access.py),
and a token that collects more than `REGISTRY_PROBE_LIMIT` in an hour gets 429.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, request

from api.common import registry
from api.errors import ApiProblem
from registry.domain.errors import RegistryError
from registry.store.access import PROBE_WINDOW, Access

PURPOSE_HEADER = "X-Purpose"


def current() -> Access:
    """This request, as an access record describes it."""
    purpose = request.headers.get(PURPOSE_HEADER, "")[:200] or None
    return Access(actor=g.principal.name, role=g.principal.role,
                  route=request.url_rule.rule if request.url_rule else request.path,
                  request_id=g.request_id, purpose=purpose)


def _too_many() -> ApiProblem:
    return ApiProblem(
        "too_many_requests",
        "this token was refused too many workers outside its regions within the hour; "
        "ask an administrator if this is legitimate work",
        headers={"Retry-After": str(int(PROBE_WINDOW.total_seconds()))})


def guard() -> None:
    """Before a write about workers: 429 for a token already over its limit."""
    if g.principal.scopes is None:
        return  # an unscoped token sees every worker: nothing is withheld from it
    reg = registry()
    if reg.access.refusals_within_the_hour(g.principal.name) >= reg.settings.probe_limit:
        raise _too_many()


def record_refusals(errors: Iterable[RegistryError | None]) -> None:
    """Keep each refusal about a worker outside the token's regions; 429 past the limit."""
    outcomes = [(e.subject, f"refused: {e.code}") for e in errors
                if e is not None and e.subject is not None]
    if not outcomes:
        return
    reg = registry()
    reg.access.record(current(), outcomes)
    if reg.access.refusals_within_the_hour(g.principal.name) > reg.settings.probe_limit:
        raise _too_many()
