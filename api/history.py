"""The audit trail: histories, the global log, the backdating report."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask.views import MethodView

from api import access, auth
from api.blueprint import Blueprint
from api.common import read_models, registry, visible_agreement, with_problems
from api.errors import ApiProblem
from api.schemas.common import PageArgs
from api.schemas.history import (
    BackdatedPage,
    BackdatedQuery,
    EventPage,
    IntegrityOut,
    IntegrityQuery,
)
from projections import views
from registry.audit import incremental
from registry.domain import region_codes

blp = Blueprint("history", __name__, url_prefix="/api/v1",
                description="Who recorded what, when, and why")


@blp.route("/agreements/<uuid:agreement_id>/history")
class AgreementHistory(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EventPage)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """The agreement's events and every event about it, in log order."""
        visible_agreement(agreement_id)
        events, next_after = views.agreement_history(read_models(), agreement_id,
                                                     after=args["after"], limit=args["limit"])
        access.shown(access.workers_in(events))
        return {"events": events, "next_after": next_after}


@blp.route("/workers/<nik:nik>/history")
class WorkerHistory(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EventPage)
    @with_problems
    def get(self, args: dict[str, Any], nik: str) -> dict[str, Any]:
        """The worker's events (registration, enrollments, corrections), in log order."""
        events, next_after = views.worker_history(read_models(), nik,
                                                  scopes=auth.principal().scopes,
                                                  after=args["after"], limit=args["limit"])
        access.shown([access.subject_of(nik)])
        return {"events": events, "next_after": next_after}


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, EventPage)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The global log in position order (only the token's regions, if scoped)."""
        events, next_after = views.global_log(read_models(), scopes=auth.principal().scopes,
                                              after=args["after"], limit=args["limit"])
        access.shown(access.workers_in(events))
        return {"events": events, "next_after": next_after}


@blp.route("/audit/backdated")
class Backdated(MethodView):
    @blp.arguments(BackdatedQuery, location="query")
    @blp.response(200, BackdatedPage)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Events recorded more than `min_days` after their effective date, newest first;
        filtered by agreement, region, actor and the days they were recorded.

        Flags those recorded after the worker's recorded death, or within the
        30 days before it (never the death's own record).
        """
        scopes = region_codes.narrowed(auth.principal().scopes, args["region_code"])
        items, next_after = views.backdated(
            read_models(), min_days=args["min_days"], scopes=scopes, before=args["after"],
            limit=args["limit"], agreement_id=args["agreement_id"], actor=args["actor"],
            recorded_from=args["from_"], recorded_to=args["to"])
        access.shown(access.workers_in(items))
        return {"items": items, "next_after": next_after}


@blp.route("/audit/integrity")
class Integrity(MethodView):
    @blp.arguments(IntegrityQuery, location="query")
    @blp.response(200, IntegrityOut)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Recompute the hash chain and check the tokens against it; with
        `read_models=true`, also the read models (admins and auditors).

        The chain and the Merkle tree are checked from where the last check
        that found them intact left them; `full=true` checks the whole log
        (an edit before that point is seen only by a full check)."""
        who = auth.principal()
        if who.role == "registrar":
            raise ApiProblem("forbidden", "integrity checks are for auditors and admins")
        if args["read_models"] and who.regions:
            raise ApiProblem("forbidden", "the read-model check shows rows of every region: "
                                          "it is for tokens without region scopes")
        return incremental.audit_since_verified(registry(), full=args["full"],
                                                read_models=args["read_models"])
