"""Bodies of the audit trail: events, histories, the backdating report, corrections."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from api.schemas.common import Day, RegionCode, Strict, Text


class EventOut(Strict):
    position = fields.Integer()
    stream = fields.String()
    stream_kind = fields.String()
    version = fields.Integer()
    type = fields.String()
    recorded_at = fields.String()
    actor = fields.String()
    reason = fields.String(allow_none=True)
    request_id = fields.String()
    data = fields.Dict()
    erased = fields.Boolean(metadata={
        "description": "true on an event of a worker whose personal data was erased: its "
                       "personal fields are null"})


class EventPage(Strict):
    events = fields.List(fields.Nested(EventOut))
    next_after = fields.Integer(allow_none=True)


class BackdatedQuery(Strict):
    min_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=36_500))
    after = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**62),
                           metadata={"description": "cursor: the `next_after` of the "
                                                    "previous page (newest first)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    agreement_id = fields.UUID(load_default=None, metadata={
        "description": "only events about this agreement"})
    region_code = RegionCode(load_default=None, metadata={
        "description": "only events in this region (a province takes in its regencies)"})
    actor = Text(load_default=None, metadata={"description": "only events recorded by "
                                                             "this token's name"})
    from_ = Day(load_default=None, data_key="from", metadata={
        "description": "only events recorded on or after this day (WIB)"})
    to = Day(load_default=None, metadata={
        "description": "only events recorded on or before this day (WIB)"})

    @validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")


class BackdatedOut(EventOut):
    nik = fields.String(allow_none=True)
    agreement_id = fields.String(allow_none=True)
    agreement_number = fields.String(allow_none=True)
    effective_on = fields.String()
    days_backdated = fields.Integer()
    died_on = fields.String(allow_none=True)
    recorded_after_death = fields.Boolean()
    recorded_within_30_days_before_death = fields.Boolean()


class BackdatedPage(Strict):
    items = fields.List(fields.Nested(BackdatedOut))
    next_after = fields.Integer(allow_none=True)


class CorrectionIn(Strict):
    reason = Text(required=True, max_length=2000)
    name = Text(load_default=None, allow_none=True)
    birth_date = Day(load_default=None, allow_none=True)
    sex = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(("M", "F")))
    occupation = Text(load_default=None, allow_none=True)
    address = Text(load_default=None, allow_none=True, max_length=500)


class HeadOut(Strict):
    position = fields.Integer()
    hash = fields.String()


class IntegrityQuery(Strict):
    read_models = fields.Boolean(
        load_default=False,
        metadata={"description": "also build every read model again from the log and "
                                 "compare it with the live one, row by row (slow: as long "
                                 "as `registry replay`); for tokens without region scopes"})
    full = fields.Boolean(
        load_default=False,
        metadata={"description": "check the whole log, not only what was written since the "
                                 "last check that found it intact (docs/operations.md)"})


class TokenProblemOut(Strict):
    name = fields.String()
    problem = fields.String()


class DifferenceOut(Strict):
    table = fields.String()
    key = fields.Dict()
    kind = fields.String(metadata={"description": "changed, only_live or only_rebuilt"})
    column = fields.String(allow_none=True)
    live = fields.Raw(allow_none=True)
    rebuilt = fields.Raw(allow_none=True)


class ReadModelsOut(Strict):
    ok = fields.Boolean()
    tables = fields.Integer()
    rows = fields.Integer(metadata={"description": "live rows compared"})
    differing_rows = fields.Integer()
    shown_rows = fields.Integer(metadata={"description": "rows whose differences are listed"})
    differences = fields.List(fields.Nested(DifferenceOut))


class TreeOut(Strict):
    ok = fields.Boolean()
    leaves = fields.Integer()
    root = fields.String(allow_none=True)
    checkpoint_size = fields.Integer(allow_none=True)
    problem = fields.String()


class IntegrityOut(Strict):
    ok = fields.Boolean(metadata={"description": "the chain, the tokens and (if checked) "
                                                 "the read models are all intact"})
    chain_ok = fields.Boolean()
    checked = fields.Integer(metadata={"description": "events checked: those after "
                                                      "`from_position`"})
    from_position = fields.Integer(metadata={
        "description": "the chain was checked on from this position, verified by an earlier "
                       "check (0: the whole log)"})
    head = fields.Nested(HeadOut)
    first_bad_position = fields.Integer()
    problem = fields.String()
    token_problems = fields.List(fields.Nested(TokenProblemOut), metadata={
        "description": "tokens whose row disagrees with their TokenIssued/TokenRevoked "
                       "events (refused while they do)"})
    read_models = fields.Nested(ReadModelsOut)
    tree = fields.Nested(TreeOut, metadata={"description": "the Merkle tree against the "
                                                          "events and the newest checkpoint"})



class AccessOut(Strict):
    id = fields.Integer()
    at = fields.String()
    actor = fields.String()
    role = fields.String()
    route = fields.String()
    request_id = fields.String()
    purpose = fields.String(allow_none=True)
    outcome = fields.String()


class AccessPage(Strict):
    items = fields.List(fields.Nested(AccessOut))
    next_after = fields.Integer(allow_none=True)
