"""/api/v1/workers/{nik}: a worker's details and coverage on a date."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api import access, auth, requests
from api.blueprint import Blueprint
from api.common import read_models, registry, with_problems, worker_etag
from api.errors import ApiProblem
from api.schemas.common import PageArgs
from api.schemas.history import AccessPage, CorrectionIn
from api.schemas.privacy import ErasureIn, ErasureOut, LegalHoldIn, LegalHoldOut
from api.schemas.workers import CoverageOut, OnQuery, WorkerOut
from projections import views
from registry.domain.dates import today, utc_iso
from registry.service.privacy import PersonalData

blp = Blueprint("workers", __name__, url_prefix="/api/v1/workers",
                description="Workers, by NIK, and whether they are covered")


def visible_worker(nik: str, args: dict[str, Any]) -> dict[str, Any]:
    """The worker as `views.worker` reads it for this token; 404 if it may not see it."""
    return views.worker(read_models(), nik, on=args["on"] or today(),
                        scopes=auth.principal().scopes, known_at=args["known_at"])


@blp.route("/<nik:nik>")
class Worker(MethodView):
    @blp.arguments(OnQuery, location="query")
    @blp.response(200, WorkerOut)
    @with_problems
    def get(self, args: dict[str, Any], nik: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """The worker's details and every coverage, with its status on `on`.

        The ETag is the worker's version, for `If-Match` on corrections,
        disenrollments and voids.
        """
        found = visible_worker(nik, args)
        access.shown([access.subject_of(nik)])
        return found, 200, worker_etag(nik)


@blp.route("/<nik:nik>/coverage")
class Coverage(MethodView):
    @blp.arguments(OnQuery, location="query")
    @blp.response(200, CoverageOut)
    @with_problems
    def get(self, args: dict[str, Any], nik: str) -> dict[str, Any]:
        """Was the worker covered on `on`, for which programs, under which agreements?"""
        on, known_at = args["on"] or today(), args["known_at"]
        covered = views.coverage(read_models(), nik, on=on, scopes=auth.principal().scopes,
                                 known_at=known_at)
        if covered["known"]:  # an unknown worker's answer shows no more than the NIK sent
            access.shown([access.subject_of(nik)])
        return {"nik": nik, "on": on.isoformat(),
                "known_at": utc_iso(known_at) if known_at else None, **covered}


@blp.route("/<nik:nik>/corrections")
class Corrections(MethodView):
    @blp.arguments(CorrectionIn)
    @blp.response(201, WorkerOut)
    @with_problems
    def post(self, body: dict[str, Any], nik: str) -> Any:
        """Correct the worker's details, with a reason (a wrong NIK: void and enroll again)."""
        seen = visible_worker(nik, {"on": None, "known_at": None})
        # Only where the worker is enrolled (not voided) may the record be corrected.
        regions_of_worker = {c["region_code"] for c in seen["coverages"]
                             if c["status"] != "voided"}
        if not any(auth.principal().can_write(code) for code in regions_of_worker):
            auth.require_write(next(iter(regions_of_worker), ""))
        body = dict(body)
        worker, position = registry().app.correct_worker(
            requests.context(), nik, body.pop("reason"),
            expected_version=requests.expected_version(), **body)
        corrected = visible_worker(nik, {"on": None, "known_at": None})
        access.shown([str(worker.id)])
        return {**corrected, "position": position}, 201, {"ETag": f'"{worker.version}"'}


@blp.route("/<nik:nik>/access-log")
class AccessRecords(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, AccessPage)
    @with_problems
    def get(self, args: dict[str, Any], nik: str) -> dict[str, Any]:
        """Who was shown or refused this worker's record, oldest first (admins, auditors)."""
        visible_worker(nik, {"on": None, "known_at": None})
        if auth.principal().role == "registrar":
            raise ApiProblem("forbidden", "access records are for auditors and admins")
        reg = registry()
        reg.access.flush()  # this process's records held back, so the reader sees its own
        items, next_after = reg.access.of_worker(access.subject_of(nik), args["after"],
                                                 args["limit"])
        return {"items": items, "next_after": next_after}


def _admin_only(nik: str, what: str) -> None:
    """What a token may not see is 404 first, as everywhere; then only admins."""
    views.require_visible_worker(read_models(), nik, auth.principal().scopes)
    if auth.principal().role != "admin":
        raise ApiProblem("forbidden", f"{what} is for admins")


@blp.route("/<nik:nik>/erasure")
class Erasure(MethodView):
    @blp.arguments(ErasureIn)
    @blp.response(201, ErasureOut)
    @with_problems
    def post(self, body: dict[str, Any], nik: str) -> tuple[dict[str, Any], int]:
        """Erase the worker's personal data (admins): their data key is destroyed, their
        coverage facts stay under a pseudonym, every proof still verifies."""
        _admin_only(nik, "erasure")
        worker_id, position = PersonalData(registry().app).erase(
            requests.context(), nik, body["reason"], body["legal_basis"])
        return {"worker_id": worker_id, "erased": True, "position": position}, 201


@blp.route("/<nik:nik>/legal-hold")
class LegalHoldOfWorker(MethodView):
    @blp.arguments(LegalHoldIn)
    @blp.response(200, LegalHoldOut)
    @with_problems
    def put(self, body: dict[str, Any], nik: str) -> dict[str, Any]:
        """Keep the worker's data for the settlement of a legal case (`held: true`), or
        stop keeping it (admins); while held it cannot be erased (409 legal_hold)."""
        _admin_only(nik, "a legal hold")
        _, position = PersonalData(registry().app).set_legal_hold(
            requests.context(), nik, body["held"], body["reason"])
        return {"held": body["held"], "reason": body["reason"], "position": position}
