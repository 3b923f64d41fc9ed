"""Request and response bodies of the agreements resource."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.common import (
    Count,
    Day,
    PageArgs,
    RegionCode,
    Rupiah,
    Strict,
    StrictBoolean,
    Text,
    UtcTimestamp,
)
from registry.domain.programs import (
    FUNDING_SOURCES,
    KINDS,
    PROGRAMS,
    WAGE_EARNER_ONLY_PROGRAMS,
)
from registry.domain.term import AGREEMENT_STATUSES


class ProgramField(fields.String):
    def __init__(self) -> None:
        super().__init__(validate=validate.OneOf(
            PROGRAMS, error="must be one of JKK, JKM, JHT "
            f"({', '.join(WAGE_EARNER_ONLY_PROGRAMS)} are only for wage earners)"))


class Signatory(Strict):
    name = Text(required=True)
    role = Text(required=True)


class SignAgreement(Strict):
    agreement_number = Text(required=True, max_length=100)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    parent_id = fields.UUID(load_default=None, allow_none=True)
    title = Text(load_default=None, allow_none=True, max_length=500)
    region_code = RegionCode(required=True)
    region_name = Text(required=True)
    sponsor = Text(required=True)
    bpjs_office = Text(required=True)
    signed_on = Day(required=True)
    signatories = fields.List(fields.Nested(Signatory), load_default=list,
                              validate=validate.Length(max=50))
    funding_source = fields.String(required=True, validate=validate.OneOf(FUNDING_SOURCES))
    programs = fields.List(ProgramField(), required=True, validate=validate.Length(min=1, max=3))
    starts_on = Day(required=True)
    ends_on = Day(required=True)
    quota = Count(load_default=None, allow_none=True)
    monthly_contribution_idr = Rupiah(load_default=None, allow_none=True)
    document_ref = Text(load_default=None, allow_none=True, max_length=500,
                        metadata={"description": "reference of the signed PDF"})
    reason = Text(load_default=None, allow_none=True, max_length=2000, metadata={
        "description": "why (optional): recorded on the events the signing writes"})

    @validates_schema
    def period(self, data: dict, **kwargs: object) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", "ends_on")
        if data.get("kind") == "PKS" and data.get("quota") is None:
            raise ValidationError("is required for a PKS", "quota")


class AmendAgreement(Strict):
    effective_on = Day(required=True)
    reason = Text(required=True, max_length=2000)
    quota = Count(load_default=None, allow_none=True)
    monthly_contribution_idr = Rupiah(load_default=None, allow_none=True)
    title = Text(load_default=None, allow_none=True, max_length=500)
    sponsor = Text(load_default=None, allow_none=True)

    @validates_schema
    def changes_something(self, data: dict, **kwargs: object) -> None:
        if all(data.get(f) is None for f in
               ("quota", "monthly_contribution_idr", "title", "sponsor")):
            raise ValidationError(
                "name at least one of quota, monthly_contribution_idr, title, sponsor")


class RenewAgreement(Strict):
    ends_on = Day(required=True)
    starts_on = Day(load_default=None, allow_none=True)
    quota = Count(load_default=None, allow_none=True)
    monthly_contribution_idr = Rupiah(load_default=None, allow_none=True)
    carry_over = StrictBoolean(load_default=True)
    reason = Text(load_default=None, allow_none=True, max_length=2000)

    @validates_schema
    def period(self, data: dict, **kwargs: object) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError("must not be before starts_on", "ends_on")


class TerminateAgreement(Strict):
    ends_on = Day(required=True)
    reason = Text(required=True, max_length=2000)


class AgreementQuery(Strict):
    on = Day(load_default=None)
    known_at = UtcTimestamp(load_default=None)
    version = Count(strict=False, load_default=None)


class AgreementListQuery(PageArgs):
    region_code = RegionCode(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    parent_id = fields.UUID(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(AGREEMENT_STATUSES))
    on = Day(load_default=None)
    agreement_number = Text(load_default=None, max_length=100,
                            metadata={"description": "exact match"})


class TermOut(Strict):
    term_number = fields.Integer()
    starts_on = fields.String()
    ends_on = fields.String()
    quota = fields.Integer(allow_none=True)
    monthly_contribution_idr = fields.Integer()
    enrolled = fields.Integer()


class ChildOut(Strict):
    id = fields.String()
    agreement_number = fields.String()
    quota = fields.Integer(allow_none=True, metadata={
        "description": "the quota of the child's current term on `on`"})
    enrolled = fields.Integer(metadata={"description": "slots held in that term"})


class AgreementOut(Strict):
    id = fields.String()
    agreement_number = fields.String()
    kind = fields.String()
    parent_id = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    region_code = fields.String()
    region_name = fields.String()
    sponsor = fields.String()
    bpjs_office = fields.String()
    signed_on = fields.String()
    signatories = fields.List(fields.Nested(Signatory))
    funding_source = fields.String()
    programs = fields.List(fields.String())
    document_ref = fields.String(allow_none=True)
    terms = fields.List(fields.Nested(TermOut))
    terminated_on = fields.String(allow_none=True)
    termination_reason = fields.String(allow_none=True)
    version = fields.Integer()
    on = fields.String()
    known_at = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES))
    current_term = fields.Integer()
    enrolled = fields.Integer()
    position = fields.Integer()
    # An MOU read alone: the PKS signed under it.
    children = fields.List(fields.Nested(ChildOut), metadata={
        "description": "an MOU read alone: the agreements signed under it"})
    allocated_quota = fields.Integer(metadata={
        "description": "an MOU: the quota its children's current terms take"})
    enrolled_in_children = fields.Integer(metadata={
        "description": "an MOU: the slots its children hold in their current terms on `on`"})


class AgreementPage(Strict):
    items = fields.List(fields.Nested(AgreementOut))
    next_after = fields.Integer(allow_none=True)
