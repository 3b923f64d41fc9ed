"""Who was shown, or refused, a worker's record: kept as accesses; refusals limited.

Every answer that shows a worker's details (NIK, name, birth date, address)
calls `shown` once with the workers it shows: one record per worker per
answer, held back and written in batches (registry/store/access.py).
A scoped token learns from a refusal at least that a NIK is known elsewhere,
so each such refusal is recorded against the worker refused, at once,
and a token that collects more than `REGISTRY_PROBE_LIMIT` in an hour gets 429.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from eventsourcing.utils import resolve_topic
from flask import g, request

from api.common import registry
from api.errors import ApiProblem
from events import worker as worker_events
from registry.domain.errors import RegistryError
from registry.store.access import PROBE_WINDOW, Access

PURPOSE_HEADER = "X-Purpose"
# For `registry bench` only, never a setting to run with: "1" records no "shown"
# accesses, so the bench can time coverage reads without them beside reads with them
# (registry/entrypoints/bench/access_measures.py).
BENCH_BASELINE = "REGISTRY_BENCH_NO_SHOWN_RECORDS"
_RECORDING_SHOWN = os.environ.get(BENCH_BASELINE) != "1"


def subjects_of(niks: Iterable[str | None]) -> list[str]:
    """`subject_of` each NIK an answer shows (an erased worker's, None, shows nothing)."""
    return [str(i) for i in registry().app.worker_ids(n for n in niks if n).values()]


def subject_of(nik: str) -> str:
    """The pseudonymous id an access record names a worker by, never the NIK."""
    return str(registry().app.worker_id(nik))


def current() -> Access:
    """This request, as an access record describes it."""
    purpose = request.headers.get(PURPOSE_HEADER, "")[:200] or None
    return Access(actor=g.principal.name, role=g.principal.role,
                  route=request.url_rule.rule if request.url_rule else request.path,
                  request_id=g.request_id, purpose=purpose)


def shown(subjects: Iterable[str]) -> None:
    """This answer shows these workers (by `subject_of`, or a row's own worker id)."""
    if _RECORDING_SHOWN:
        registry().access.shown(current(), subjects)


def workers_in(events: Iterable[dict[str, Any]]) -> list[str]:
    """The workers a page of events shows: the streams of those that are a worker's."""
    return [str(e["stream"]) for e in events if e["stream_kind"] == "worker"]


def worker_stream_of(event: dict[str, Any]) -> list[str]:
    """The worker an exported event shows (its stored bytes hold the worker's details):
    its stream, if it is a worker's event."""
    shows_a_worker = resolve_topic(event["type"]).__module__ == worker_events.__name__
    return [str(event["stream"])] if shows_a_worker else []


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
