"""/api/v1/agreements/{id}/enrollments: enroll, batches, disenroll, void, read."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from flask import jsonify, request, url_for
from flask.views import MethodView
from marshmallow import ValidationError

from api import access, requests
from api.batch_rows import (
    CSV_HEADER,
    BadBatch,
    file_rows,
    row_json,
    to_request,
    validated,
)
from api.blueprint import Blueprint, parse_json_body
from api.common import (
    read_models,
    registry,
    visible_agreement,
    with_probe_limit,
    with_problems,
    worker_etag,
    writable,
)
from api.errors import ApiProblem, flatten, problem
from api.schemas.workers import (
    BatchDoc,
    BatchIn,
    BatchOut,
    BatchQuery,
    ContributionsOut,
    ContributionsQuery,
    DisenrollIn,
    EnrollIn,
    EnrollmentOut,
    EnrollmentPage,
    EnrollmentsQuery,
    OnQuery,
    VoidIn,
)
from projections import tree_views, views
from registry.domain.dates import today, utc_iso
from registry.domain.errors import RegistryError
from registry.domain.worker import Worker
from registry.service.enrollments import BatchOutcome, EnrollmentRequest, RowResult
from registry.service.intake import WORKBOOK, Rows

blp = Blueprint("enrollments", __name__, url_prefix="/api/v1/agreements",
                description="Workers enrolled under an agreement")


def enrollment_view(worker: Worker, enrollment_id: str, position: int | None = None,
                    sent: EnrollmentRequest | None = None) -> dict[str, Any]:
    """The enrollment; with `sent`, the worker's details as the caller sent them, never
    details recorded elsewhere that the caller may not read."""
    e = worker.enrollments[enrollment_id]
    name, occupation = ((sent.details.name, sent.details.occupation) if sent
                        else (worker.name, worker.occupation))
    body: dict[str, Any] = {
        "enrollment_id": enrollment_id, "agreement_id": str(e.agreement_id),
        "agreement_number": e.agreement_number, "region_code": e.region_code,
        "nik": worker.nik, "name": name, "occupation": occupation,
        "term_number": e.term_number, "programs": list(e.programs),
        "starts_on": e.starts_on.isoformat(), "ends_on": e.ends_on.isoformat(),
        "covered_until": e.ends_on.isoformat(), "status": e.status,
        "reason_code": e.reason_code,
    }
    if position is not None:
        body["position"] = position
    return body


def changed(worker: Worker, enrollment_id: str, position: int) -> Any:
    """The answer to a write on an existing enrollment, with the worker's ETag."""
    access.shown([str(worker.id)])
    return enrollment_view(worker, enrollment_id, position), 200, {"ETag": f'"{worker.version}"'}


@blp.route("/<uuid:agreement_id>/enrollments")
class Enrollments(MethodView):
    @blp.arguments(EnrollmentsQuery, location="query")
    @blp.response(200, EnrollmentPage)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """The agreement's enrollments with their status on `on`; cursor `after`."""
        visible_agreement(agreement_id, known_at=args["known_at"])
        items, next_after = views.enrollments(
            read_models(), agreement_id, on=args["on"] or today(), status=args["status"],
            after=args["after"], limit=args["limit"], known_at=args["known_at"])
        access.shown(access.subjects_of(item.get("nik") for item in items))
        return {"items": items, "next_after": next_after}

    @blp.arguments(EnrollIn)
    @blp.response(201, EnrollmentOut)
    @with_problems
    @with_probe_limit
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Enroll one worker (quota, no double coverage, never after death)."""
        writable(agreement_id)
        access.guard()
        reason = body.pop("reason")
        sent = to_request(0, body)
        try:
            worker, enrollment_id, position = registry().app.enroll_worker(
                requests.context(reason), agreement_id, sent,
                expected_version=requests.expected_version())
        except RegistryError as error:
            access.record_refusals([error])
            raise
        location = url_for("enrollments.Enrollment", agreement_id=agreement_id, nik=worker.nik)
        return (enrollment_view(worker, enrollment_id, position, sent), 201,
                {"Location": location, "ETag": f'"{worker.version}"'})


@blp.route("/<uuid:agreement_id>/enrollments/batch")
class Batch(MethodView):
    @blp.doc(parameters=[{"in": "query", "name": "atomic", "schema": {"type": "boolean"},
                          "description": "CSV only: `false` writes the valid rows"}],
             requestBody={"required": True, "content": {
        "application/json": {"schema": BatchDoc},
        "text/csv": {"schema": {"type": "string"},
                     "example": ",".join(CSV_HEADER) + "\n"},
        WORKBOOK: {"schema": {"type": "string", "format": "binary"}}}})
    @blp.arguments(BatchQuery, location="query")
    @blp.response(201, BatchOut)
    @blp.alt_response(200, schema=BatchOut,
                      description="every row was already enrolled: nothing to write")
    @with_problems
    @with_probe_limit
    def post(self, args: dict[str, Any], agreement_id: UUID) -> Any:
        """Enroll up to 50,000 workers from JSON, CSV or an Excel workbook (its first
        sheet); atomic unless `"atomic": false`.

        CSV and workbooks take `?atomic=false` and `?reason=` instead; their forms are
        in docs/intake.md. A row whose worker is already enrolled here with the same
        details is `already_enrolled`, not an error: a file may be sent again.
        """
        writable(agreement_id)
        access.guard()
        rows, atomic, reason, sheet = _batch_rows()
        valid, shape_rejects = validated(rows, sheet=sheet)
        outcome = registry().app.enroll_workers(
            requests.context(reason or args["reason"]), agreement_id, valid, atomic=atomic,
            expected_version=requests.expected_version(),
            dry_run=atomic and bool(shape_rejects))
        access.record_refusals(r.error for r in outcome.results)
        return _batch_answer(outcome, shape_rejects, sheet)


def _batch_rows() -> tuple[list[Any], bool, str | None, Rows | None]:
    """The rows, whether the batch is atomic, why it was sent (JSON), and the file."""
    if request.mimetype in ("text/csv", WORKBOOK):
        sheet = file_rows(request.get_data(), request.mimetype == WORKBOOK)
        return sheet.rows, request.args.get("atomic") != "false", None, sheet
    try:
        try:
            body = BatchIn().load(parse_json_body(request.get_data()))
        except json.JSONDecodeError:
            raise ApiProblem("malformed_request", "the body is not valid JSON") from None
        except ValidationError as e:
            raise BadBatch(flatten(e.messages)) from None
        return body["workers"], body["atomic"], body["reason"], None
    except BadBatch as e:
        raise ApiProblem("validation_failed", str(e), errors=e.errors) from None


def _batch_answer(outcome: BatchOutcome, shape_rejects: list[RowResult],
                  sheet: Rows | None) -> Any:
    results = sorted([*outcome.results, *shape_rejects], key=lambda r: r.row)
    counts = {s: sum(1 for r in results if r.status == s)
              for s in ("enrolled", "already_enrolled", "rejected", "not_written")}
    rows = [row_json(r, sheet.lines if sheet else None) for r in results]
    notes = {"notes": sheet.notes} if sheet and sheet.notes else {}
    if not outcome.written and counts["rejected"]:
        errors = {f"rows.{r.row}": f"{r.error.code}: {r.error.detail}"
                  for r in results if r.error is not None}
        detail = (f"{counts['rejected']} of {len(results)} rows were rejected; "
                  "nothing was written")
        return problem("validation_failed", detail, errors,
                       extra={**counts, **notes, "rows": rows})
    # Nothing to write (every row already enrolled) is no error: 200, and no position.
    # Sent as BatchOut would dump it (its fields, in its order), without dumping
    # 50,000 rows again through marshmallow.
    return (jsonify({**counts, "rows": rows, **notes, "position": outcome.position}),
            201 if outcome.written else 200)


@blp.route("/<uuid:agreement_id>/enrollments/<nik:nik>")
class Enrollment(MethodView):
    @blp.arguments(OnQuery, location="query")
    @blp.response(200, EnrollmentOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """The worker's latest enrollment under the agreement."""
        visible_agreement(agreement_id, known_at=args["known_at"])
        found = views.enrollment(read_models(), agreement_id, nik, on=args["on"] or today(),
                                 known_at=args["known_at"])
        access.shown([access.subject_of(nik)])
        # The enrollment lives in the worker's stream: its version is the ETag.
        return found, 200, worker_etag(nik)


@blp.route("/<uuid:agreement_id>/enrollments/<nik:nik>/disenrollment")
class Disenrollment(MethodView):
    @blp.arguments(DisenrollIn)
    @blp.response(200, EnrollmentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """End coverage on `ends_on` (the last covered day) and free the quota slot."""
        writable(agreement_id)
        return changed(*registry().app.disenroll_worker(
            requests.context(), agreement_id, nik, **body,
            expected_version=requests.expected_version()))


@blp.route("/<uuid:agreement_id>/enrollments/<nik:nik>/void")
class Void(MethodView):
    @blp.arguments(VoidIn)
    @blp.response(200, EnrollmentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """Void an enrollment recorded in error: it never covered anyone."""
        writable(agreement_id)
        return changed(*registry().app.void_enrollment(
            requests.context(), agreement_id, nik, body["reason"],
            expected_version=requests.expected_version()))


@blp.route("/<uuid:agreement_id>/contributions")
class Contributions(MethodView):
    @blp.arguments(ContributionsQuery, location="query")
    @blp.response(200, ContributionsOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """Billable workers and amounts per month, `from`..`to` (YYYY-MM); an MOU's
        with its children's, and each child's total."""
        known_at = args["known_at"]
        agreement = visible_agreement(agreement_id, known_at=known_at)
        if agreement.kind == "MOU":
            owed = tree_views.mou_contributions(read_models(), agreement, args["from_"],
                                                args["to"], known_at)
        else:
            owed = views.contributions(read_models(), agreement_id, agreement.terms,
                                       args["from_"], args["to"], known_at)
        return {"agreement_id": str(agreement_id),
                "known_at": utc_iso(known_at) if known_at else None, **owed}
