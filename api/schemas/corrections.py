"""Corrections files, their previews and their application (DESIGN.md section 13)."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.agreements import ProgramField
from api.schemas.common import Day, Nik, Strict, Text
from registry.domain.enrollment import REASON_CODES

CSV_COLUMNS = ("action", "agreement_number", "nik", "ends_on", "reason_code", "reason", "name",
               "birth_date", "sex", "occupation", "address", "starts_on")
DETAILS = ("name", "birth_date", "sex", "occupation", "address")
# What each action needs besides its NIK; `agreement` is a number or an id.
NEEDS = {
    "void": ("agreement", "reason"),
    "disenroll": ("agreement", "ends_on", "reason_code"),
    "correct": ("reason",),
    "enroll": ("agreement", "name", "occupation"),
}


class CorrectionRowIn(Strict):
    """One correction. `action` is checked apart (an unknown one is its own row error)."""

    action = fields.String(required=True, metadata={"enum": list(NEEDS)})
    agreement_number = Text(load_default=None, allow_none=True)
    agreement_id = fields.UUID(load_default=None, allow_none=True,
                               metadata={"description": "instead of agreement_number"})
    nik = Nik(required=True)
    ends_on = Day(load_default=None, allow_none=True,
                  metadata={"description": "disenroll: the last covered day"})
    reason_code = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(REASON_CODES))
    reason = Text(load_default=None, allow_none=True, max_length=2000,
                  metadata={"description": "this row's reason; else the file's"})
    name = Text(load_default=None, allow_none=True)
    birth_date = Day(load_default=None, allow_none=True)
    sex = fields.String(load_default=None, allow_none=True,
                        validate=validate.OneOf(("M", "F")))
    occupation = Text(load_default=None, allow_none=True)
    address = Text(load_default=None, allow_none=True, max_length=500)
    starts_on = Day(load_default=None, allow_none=True)
    programs = fields.List(ProgramField(), load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=3))

    @validates_schema
    def needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        """What the row's action needs (the reader gives a row without a reason the file's)."""
        given = {k for k, v in data.items() if v is not None}
        if data.get("agreement_number") or data.get("agreement_id"):
            given.add("agreement")
        missing = [f for f in NEEDS.get(data.get("action", ""), ()) if f not in given]
        errors = {("agreement_number" if f == "agreement" else f):
                  "required for this action" + (" (or give the file a reason)"
                                                if f == "reason" else "") for f in missing}
        if data.get("action") == "correct" and not given & set(DETAILS):
            errors["_schema"] = f"a correction changes at least one of {', '.join(DETAILS)}"
        if errors:
            raise ValidationError(errors)


class CorrectionsIn(Strict):
    reason = Text(load_default=None, allow_none=True, max_length=2000,
                  metadata={"description": "recorded on every event that has a reason, "
                                           "unless the row gives its own"})
    corrections = fields.List(fields.Nested(CorrectionRowIn), required=True,
                              validate=validate.Length(min=1),
                              metadata={"description": "at most 50,000 (413 beyond)"})


class ReasonQuery(Strict):
    reason = Text(load_default=None, max_length=2000,
                  metadata={"description": "a CSV file's reason (JSON: `reason` in the body)"})


class ApplyIn(Strict):
    """Nothing to send but an empty object: the preview holds the corrections."""


class PeriodOut(Strict):
    agreement_number = fields.String()
    programs = fields.List(fields.String())
    starts_on = fields.String()
    ends_on = fields.String(metadata={"description": "the last covered day"})


class DetailsChangeOut(Strict):
    before = fields.Dict()
    after = fields.Dict()


class WorkerChangeOut(Strict):
    nik = fields.String()
    before = fields.List(fields.Nested(PeriodOut))
    after = fields.List(fields.Nested(PeriodOut))
    details = fields.Nested(DetailsChangeOut, metadata={"description": "for corrections"})


class ContributionChangeOut(Strict):
    agreement_number = fields.String()
    month = fields.String()
    before_workers = fields.Integer()
    after_workers = fields.Integer()
    before_idr = fields.Integer()
    after_idr = fields.Integer()


class QuotaChangeOut(Strict):
    agreement_number = fields.String()
    term_number = fields.Integer()
    quota = fields.Integer(allow_none=True)
    before = fields.Integer(metadata={"description": "quota slots held before"})
    after = fields.Integer()


class ChangesOut(Strict):
    workers = fields.List(fields.Nested(WorkerChangeOut),
                          metadata={"description": "workers whose coverage or details change"})
    contributions = fields.List(fields.Nested(ContributionChangeOut),
                                metadata={"description": "months whose amount changes"})
    quota = fields.List(fields.Nested(QuotaChangeOut))


class CorrectionRowOut(Strict):
    row = fields.Integer(metadata={"description": "data rows counted from 0"})
    line = fields.Integer(metadata={"description": "a CSV's line (the header is line 1)"})
    action = fields.String(allow_none=True)
    nik = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["ok", "rejected"]})
    code = fields.String()
    error = fields.String()


class PreviewOut(Strict):
    preview_id = fields.String()
    based_on_position = fields.Integer()
    expires_in_minutes = fields.Integer()
    ok = fields.Integer()
    rejected = fields.Integer(metadata={"description": "any: the preview cannot be applied"})
    rows = fields.List(fields.Nested(CorrectionRowOut))
    changes = fields.Nested(ChangesOut)


class AppliedOut(Strict):
    preview_id = fields.String()
    position = fields.Integer(metadata={"description": "of the last event written"})
    applied = fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "rows written, by action"})
    changes = fields.Nested(ChangesOut)
