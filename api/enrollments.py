"""/api/v1/agreements/{id}/enrollments: enroll, batches, disenroll, void, read."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from api import auth, requests
from api.common import registry, visible_agreement, with_problems
from api.errors import ApiProblem, flatten, problem
from api.schemas.workers import (
    BatchIn,
    BatchOut,
    ContributionsOut,
    ContributionsQuery,
    DisenrollIn,
    EnrollmentOut,
    EnrollmentPage,
    EnrollmentsQuery,
    OnQuery,
    VoidIn,
    WorkerIn,
)
from projections import coverage_queries
from registry.contributions import contributions
from registry.dates import today
from registry.enrolling import MAX_BATCH_ROWS, BatchOutcome, EnrollmentRequest, RowResult
from registry.enrollment import Details
from registry.errors import NotFound, ValidationFailed
from registry.worker import Worker

blp = Blueprint("enrollments", __name__, url_prefix="/api/v1/agreements",
                description="Workers enrolled under an agreement")

CSV_HEADER = ("nik", "name", "birth_date", "sex", "occupation", "address", "starts_on")
_worker_in = WorkerIn()


def enrollment_view(worker: Worker, enrollment_id: str, position: int | None = None) -> dict:
    e = worker.enrollments[enrollment_id]
    body = {
        "enrollment_id": enrollment_id, "agreement_id": e["agreement_id"],
        "agreement_number": e["agreement_number"], "region_code": e["region_code"],
        "nik": worker.nik, "name": worker.name, "occupation": worker.occupation,
        "term_number": e["term_number"], "programs": e["programs"],
        "starts_on": e["starts_on"].isoformat(), "ends_on": e["ends_on"].isoformat(),
        "covered_until": e["ends_on"].isoformat(), "status": e["status"],
        "reason_code": e.get("reason_code"),
    }
    if position is not None:
        body["position"] = position
    return body


def to_request(row: int, data: dict[str, Any]) -> EnrollmentRequest:
    details = Details(name=data["name"], occupation=data["occupation"],
                      birth_date=data["birth_date"], sex=data["sex"], address=data["address"])
    return EnrollmentRequest(nik=data["nik"], details=details, programs=data["programs"],
                             starts_on=data["starts_on"], row=row)


def writable(agreement_id: UUID) -> None:
    auth.require_write(visible_agreement(agreement_id).region_code)


@blp.route("/<uuid:agreement_id>/enrollments")
class Enrollments(MethodView):
    @blp.arguments(EnrollmentsQuery, location="query")
    @blp.response(200, EnrollmentPage)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """The agreement's enrollments with their status on `on`; cursor `after`."""
        visible_agreement(agreement_id)
        reg = registry()
        reg.projections.catch_up()
        with reg.store.transaction() as cur:
            items, next_after = coverage_queries.agreement_enrollments(
                cur, str(agreement_id), on=args["on"] or today(), status=args["status"],
                after=args["after"], limit=args["limit"])
        return {"items": items, "next_after": next_after}

    @blp.arguments(WorkerIn)
    @blp.response(201, EnrollmentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Enroll one worker (quota, no double coverage, never after death)."""
        writable(agreement_id)
        worker, enrollment_id, position = registry().app.enroll_worker(
            requests.context(), agreement_id, to_request(0, body),
            expected_version=requests.expected_version())
        location = url_for("enrollments.Enrollment", agreement_id=agreement_id, nik=worker.nik)
        return (enrollment_view(worker, enrollment_id, position), 201,
                {"Location": location, "ETag": f'"{worker.version}"'})


@blp.route("/<uuid:agreement_id>/enrollments/batch")
class Batch(MethodView):
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": BatchIn},
        "text/csv": {"schema": {"type": "string"},
                     "example": ",".join(CSV_HEADER) + "\n"}}})
    @blp.response(201, BatchOut)
    @with_problems
    def post(self, agreement_id: UUID) -> Any:
        """Enroll up to 50,000 workers from JSON or CSV; atomic unless `"atomic": false`."""
        writable(agreement_id)
        rows, atomic = _batch_rows()
        valid, results = [], []
        for index, data in enumerate(rows):
            try:
                valid.append(to_request(index, _worker_in.load(data)))
            except ValidationError as e:
                nik = data.get("nik") if isinstance(data, dict) else None
                results.append(RowResult(index, nik if isinstance(nik, str) else None,
                                         "rejected", _shape_error(e)))
        outcome = registry().app.enroll_workers(
            requests.context(), agreement_id, valid, atomic=atomic,
            expected_version=requests.expected_version(), dry_run=atomic and bool(results))
        return _batch_answer(outcome, results)


def _batch_rows() -> tuple[list[Any], bool]:
    if request.mimetype == "text/csv":
        return _csv_rows(), request.args.get("atomic", "true") != "false"
    try:
        body = BatchIn().load(request.get_json())
    except ValidationError as e:
        errors = flatten(e.messages)
        raise _Invalid(errors) from None
    return body["workers"], body["atomic"]


def _csv_rows() -> list[dict[str, str]]:
    try:
        text = request.get_data().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Invalid({"body": "the CSV must be UTF-8"}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    unknown = [h for h in header if h not in CSV_HEADER]
    missing = [h for h in ("nik", "name", "occupation") if h not in header]
    if unknown or missing:
        raise _Invalid({"header": f"expected {','.join(CSV_HEADER)}; "
                                  f"unknown {unknown or 'none'}, missing {missing or 'none'}"})
    rows = []
    for record in reader:
        if None in record:
            raise _Invalid({f"rows.{len(rows)}": "more cells than the header has columns"})
        rows.append({k: v.strip() for k, v in record.items() if v is not None and v.strip()})
        if len(rows) > MAX_BATCH_ROWS:
            raise _Invalid({"body": f"at most {MAX_BATCH_ROWS} rows in one batch"})
    if not rows:
        raise _Invalid({"body": "the CSV has no data rows"})
    return rows


class _Invalid(ApiProblem):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("validation_failed", "; ".join(f"{k}: {v}" for k, v in errors.items()),
                         errors=errors)


def _shape_error(error: ValidationError) -> ValidationFailed:
    messages = flatten(error.messages)
    return ValidationFailed("; ".join(f"{k}: {v}" for k, v in messages.items()), messages)


def _row_json(result: RowResult) -> dict[str, Any]:
    row: dict[str, Any] = {"row": result.row, "nik": result.nik, "status": result.status}
    if result.error is not None:
        row["code"] = result.error.code
        row["error"] = result.error.detail
    return row


def _batch_answer(outcome: BatchOutcome, shape_rejects: list[RowResult]) -> Any:
    results = sorted([*outcome.results, *shape_rejects], key=lambda r: r.row)
    counts = {s: sum(1 for r in results if r.status == s)
              for s in ("enrolled", "rejected", "not_written")}
    rows = [_row_json(r) for r in results]
    if not outcome.written:
        errors = {f"rows.{r.row}": f"{r.error.code}: {r.error.detail}"
                  for r in results if r.error is not None}
        detail = (f"{counts['rejected']} of {len(results)} rows were rejected; "
                  "nothing was written")
        return problem("validation_failed", detail, errors, extra={**counts, "rows": rows})
    return {**counts, "rows": rows, "position": outcome.position}, 201


@blp.route("/<uuid:agreement_id>/enrollments/<string:nik>")
class Enrollment(MethodView):
    @blp.arguments(OnQuery, location="query")
    @blp.response(200, EnrollmentOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """The worker's latest enrollment under the agreement."""
        visible_agreement(agreement_id)
        reg = registry()
        reg.projections.catch_up()
        with reg.store.transaction() as cur:
            found = coverage_queries.enrollment(cur, str(agreement_id), nik, args["on"] or today())
        if found is None:
            raise NotFound(f"no enrollment of that NIK under agreement {agreement_id}")
        return found


@blp.route("/<uuid:agreement_id>/enrollments/<string:nik>/disenrollment")
class Disenrollment(MethodView):
    @blp.arguments(DisenrollIn)
    @blp.response(200, EnrollmentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """End coverage on `ends_on` (the last covered day) and free the quota slot."""
        writable(agreement_id)
        worker, position = registry().app.disenroll_worker(
            requests.context(), agreement_id, nik, **body)
        enrollment = worker.enrollment_under(agreement_id)
        return enrollment_view(worker, enrollment["enrollment_id"], position)


@blp.route("/<uuid:agreement_id>/enrollments/<string:nik>/void")
class Void(MethodView):
    @blp.arguments(VoidIn)
    @blp.response(200, EnrollmentOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID, nik: str) -> Any:
        """Void an enrollment recorded in error: it never covered anyone."""
        writable(agreement_id)
        worker, position = registry().app.void_enrollment(
            requests.context(), agreement_id, nik, body["reason"])
        voided = [e for e in worker.enrollments.values()
                  if e["agreement_id"] == str(agreement_id) and e["status"] == "voided"]
        return enrollment_view(worker, voided[-1]["enrollment_id"], position)


@blp.route("/<uuid:agreement_id>/contributions")
class Contributions(MethodView):
    @blp.arguments(ContributionsQuery, location="query")
    @blp.response(200, ContributionsOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> dict[str, Any]:
        """Billable workers and amounts per month, `from`..`to` (YYYY-MM)."""
        agreement = visible_agreement(agreement_id)
        reg = registry()
        reg.projections.catch_up()
        with reg.store.transaction() as cur:
            owed = contributions(
                agreement.terms, args["from_"], args["to"],
                lambda first, last: coverage_queries.billable_workers(
                    cur, str(agreement_id), first, last))
        return {"agreement_id": str(agreement_id), **owed}
