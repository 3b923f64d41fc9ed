"""Request and response bodies of enrollments, workers and regions."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.agreements import ProgramField
from api.schemas.common import (
    EARLIEST,
    LATEST,
    Day,
    Nik,
    PageArgs,
    Rupiah,
    Strict,
    StrictBoolean,
    Text,
    UtcTimestamp,
)
from registry.domain.coverage_rules import ENROLLMENT_STATUSES
from registry.domain.enrollment import REASON_CODES
from registry.service.enrollments import MAX_BATCH_ROWS

MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
MONTH_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$"


class WorkerIn(Strict):
    nik = Nik(required=True)
    name = Text(required=True)
    birth_date = Day(load_default=None, allow_none=True)
    sex = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("M", "F")))
    occupation = Text(required=True)
    address = Text(load_default=None, allow_none=True, max_length=500)
    programs = fields.List(ProgramField(), load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=3))
    starts_on = Day(load_default=None, allow_none=True)


class EnrollIn(WorkerIn):
    reason = Text(load_default=None, allow_none=True, max_length=2000, metadata={
        "description": "why (optional; a backdated `starts_on` should say): recorded on "
                       "the events"})


class BatchIn(Strict):
    """A batch as read: each row is checked on its own (api/batch_rows.py), so that a bad
    row is that row's error, not the batch's."""

    workers = fields.List(fields.Raw(), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH_ROWS))
    atomic = StrictBoolean(load_default=True)
    reason = Text(load_default=None, allow_none=True, max_length=2000, metadata={
        "description": "why (optional; a backdated batch should say): recorded on every "
                       "event the batch writes. CSV: `?reason=`"})


class BatchQuery(Strict):
    atomic = fields.Boolean(load_default=None, metadata={
        "description": "CSV: `false` writes the valid rows and rejects the rest (JSON: the "
                       "body's `atomic`)"})
    reason = Text(load_default=None, max_length=2000, metadata={
        "description": "CSV: why (optional; a backdated batch should say), recorded on "
                       "every event the batch writes (JSON: the body's `reason`)"})


class BatchDoc(BatchIn):
    """A batch as the document states it: rows are workers."""

    workers = fields.List(fields.Nested(WorkerIn), required=True,
                          validate=validate.Length(min=1, max=MAX_BATCH_ROWS))


class DisenrollIn(Strict):
    ends_on = Day(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(REASON_CODES))
    reason = Text(load_default=None, allow_none=True, max_length=2000)


class VoidIn(Strict):
    reason = Text(required=True, max_length=2000)


class EnrollmentsQuery(PageArgs):
    on = Day(load_default=None)
    known_at = UtcTimestamp(load_default=None)
    status = fields.String(load_default=None,
                           validate=validate.OneOf(ENROLLMENT_STATUSES))


class OnQuery(Strict):
    on = Day(load_default=None)
    known_at = UtcTimestamp(load_default=None)


class Month(fields.String):
    # A String, so that the OpenAPI document says "string"; it loads (year, month).
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"pattern": MONTH_PATTERN}, **kwargs)

    def _deserialize(  # type: ignore[override]
            self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[int, int]:
        text = super()._deserialize(value, attr, data, **kwargs)
        match = MONTH.fullmatch(text)
        if not match:
            raise ValidationError("must be a month, YYYY-MM")
        year, month = int(match.group(1)), int(match.group(2))
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValidationError(f"must fall between {EARLIEST.year} and {LATEST.year}")
        return year, month


class ContributionsQuery(Strict):
    from_ = Month(required=True, data_key="from")
    to = Month(required=True)
    known_at = UtcTimestamp(load_default=None)

    @validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "from_" in data and "to" in data:
            (y1, m1), (y2, m2) = data["from_"], data["to"]
            months = (y2 - y1) * 12 + m2 - m1
            if months < 0:
                raise ValidationError("must not be before from", "to")
            if months >= 120:
                raise ValidationError("at most 120 months at a time", "to")


class TargetIn(Strict):
    workforce = fields.Integer(required=True, strict=True,
                               validate=validate.Range(min=1, max=10**9))
    target_percent = fields.Float(required=True, allow_nan=False,
                                  validate=validate.Range(min=0, max=100, min_inclusive=False),
                                  metadata={"exclusiveMinimum": True})
    reason = Text(load_default=None, allow_none=True, max_length=2000, metadata={
        "description": "why (optional): recorded on the event"})


class EnrollmentOut(Strict):
    enrollment_id = fields.String()
    agreement_id = fields.String()
    agreement_number = fields.String()
    region_code = fields.String()
    nik = fields.String(metadata={"description": "absent once the worker's personal data "
                                                 "was erased"})
    name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    erased = fields.Boolean(metadata={
        "description": "true once the worker's personal data was erased: the coverage "
                       "stays, under a pseudonym"})
    occupation = fields.String()
    term_number = fields.Integer()
    programs = fields.List(fields.String())
    starts_on = fields.String()
    ends_on = fields.String()
    covered_until = fields.String()
    status = fields.String()
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    recorded_at = fields.String()
    actor = fields.String()
    position = fields.Integer()
    # In coverage answers: the agreement's contribution ledger (docs/contributions.md).
    standing = fields.String(allow_none=True)
    paid_through = fields.String(allow_none=True)


class EnrollmentPage(Strict):
    items = fields.List(fields.Nested(EnrollmentOut))
    next_after = fields.Integer(allow_none=True)


class RowOut(Strict):
    row = fields.Integer()
    line = fields.Integer(metadata={"description": "the file's line (header = 1); CSV and "
                                                   "workbooks only"})
    nik = fields.String(allow_none=True)
    status = fields.String()
    code = fields.String()
    error = fields.String()


class BatchOut(Strict):
    enrolled = fields.Integer()
    already_enrolled = fields.Integer()
    rejected = fields.Integer()
    not_written = fields.Integer()
    rows = fields.List(fields.Nested(RowOut))
    notes = fields.List(fields.String(), metadata={
        "description": "what the reading of a file passed over, e.g. a workbook's other sheets"})
    position = fields.Integer(allow_none=True)


class WorkerOut(Strict):
    nik = fields.String()
    name = fields.String()
    birth_date = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    occupation = fields.String()
    address = fields.String(allow_none=True)
    deceased_on = fields.String(allow_none=True)
    coverages = fields.List(fields.Nested(EnrollmentOut))
    position = fields.Integer()


class CoverageOut(Strict):
    nik = fields.String()
    on = fields.String()
    known_at = fields.String(allow_none=True)
    known = fields.Boolean(metadata={
        "description": "false when no worker with this NIK is visible to the token"})
    covered = fields.Boolean()
    programs = fields.List(fields.String())
    coverages = fields.List(fields.Nested(EnrollmentOut))


class MonthOut(Strict):
    month = fields.String()
    workers = fields.Integer()
    monthly_contribution_idr = Rupiah()
    amount_idr = Rupiah()


class ChildTotalOut(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    total_idr = fields.Integer()


class ContributionsOut(Strict):
    agreement_id = fields.String()
    known_at = fields.String(allow_none=True)
    months = fields.List(fields.Nested(MonthOut), metadata={
        "description": "an MOU's rows add its children's: they carry no single rate"})
    total_idr = fields.Integer()
    # An MOU: its own workers' total, and each child's.
    own_total_idr = fields.Integer()
    children = fields.List(fields.Nested(ChildTotalOut), metadata={
        "description": "an MOU: each agreement signed under it; `total_idr` is the MOU's "
                       "own and theirs"})


class TargetOut(Strict):
    region_code = fields.String()
    year = fields.Integer()
    workforce = fields.Integer()
    target_percent = fields.Float()
    target_workers = fields.Integer()
    realised_percent = fields.Float()
    position = fields.Integer()


class RegionAgreementOut(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    region_code = fields.String()
    covered_workers = fields.Integer()


class RegionCoverageOut(Strict):
    region_code = fields.String()
    on = fields.String()
    known_at = fields.String(allow_none=True)
    covered_workers = fields.Integer()
    by_program = fields.Dict(keys=fields.String(), values=fields.Integer())
    agreements = fields.List(fields.Nested(RegionAgreementOut))
    target = fields.Nested(TargetOut, allow_none=True)
