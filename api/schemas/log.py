"""The verifiable log's requests and answers (DESIGN.md section 10)."""

from __future__ import annotations

from marshmallow import fields, validate

from api.schemas.common import Day, Strict, Text

POSITION = validate.Range(min=1, max=2**62)


class NoQuery(Strict):
    """An endpoint without query parameters: any sent is refused by name."""


class ProofQuery(Strict):
    position = fields.Integer(required=True, validate=POSITION)
    tree_size = fields.Integer(load_default=None, validate=POSITION)


class ConsistencyQuery(Strict):
    from_ = fields.Integer(required=True, data_key="from", validate=POSITION)
    to = fields.Integer(required=True, validate=POSITION)


class CertifiedEvent(Strict):
    """An event as `registry export` writes it, but for its chain link."""

    position = fields.Integer()
    stream = fields.String()
    version = fields.Integer()
    type = fields.String()
    state = fields.String(metadata={"description": "the stored bytes, base64"})
    digest = fields.String(metadata={"description": "hex: what the chain and the leaf bind"})


class ExportedEvent(CertifiedEvent):
    """An event as `registry export` writes it."""

    hash = fields.String(metadata={"description": "hex: the chain's link at this position, "
                                                  "for `registry verify --expect-head`"})


class ProofOut(Strict):
    position = fields.Integer()
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    event = fields.Nested(ExportedEvent)
    digest = fields.String()
    leaf_hash = fields.String(metadata={"description": "base64 of SHA-256(0x00 || digest)"})
    inclusion = fields.List(fields.String(), metadata={"description": "RFC 9162 2.1.3, base64"})
    checkpoint = fields.String(metadata={"description": "the signed note for tree_size"})


class ConsistencyOut(Strict):
    from_ = fields.Integer(data_key="from")
    to = fields.Integer()
    proof = fields.List(fields.String(), metadata={"description": "RFC 9162 2.1.4, base64"})


class CosignatureIn(Strict):
    # Not Text: the note's final newline is part of what was signed.
    checkpoint = fields.String(required=True, validate=validate.Length(min=1, max=20_000),
                               metadata={"description": "the checkpoint cosigned, as served"})
    cosignature = Text(required=True, max_length=1_000, metadata={
        "description": "one signature line: '\u2014 NAME BASE64'"})


class CosignatureOut(Strict):
    tree_size = fields.Integer()
    witness = fields.String()
    time = fields.Integer(metadata={"description": "the cosignature's timestamp, POSIX seconds"})


class CertificateQuery(Strict):
    on = Day(load_default=None)


class CertificateEvent(Strict):
    event = fields.Nested(CertifiedEvent)
    leaf_index = fields.Integer()
    inclusion = fields.List(fields.String())


class CertificateCoverage(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    enrollment_id = fields.String()
    programs = fields.List(fields.String())
    starts_on = fields.String()
    ends_on = fields.String(metadata={"description": "the last covered day, after a termination"})
    # The agreement's contribution ledger that day (docs/contributions.md).
    standing = fields.String()
    paid_through = fields.String(allow_none=True)


class CertificateAnswer(Strict):
    covered = fields.Boolean()
    programs = fields.List(fields.String())
    coverages = fields.List(fields.Nested(CertificateCoverage))


class CertificateQuestion(Strict):
    nik = fields.String()
    on = fields.String()


class CertificateWorker(Strict):
    id = fields.String(metadata={"description": "the worker's stream (a pseudonym)"})
    key = fields.String(allow_none=True, metadata={
        "description": "the worker's data key (base64url), which opens the NIK sealed in "
                       "the worker's first event, and nothing of anyone else"})


class CertificateOut(Strict):
    question = fields.Nested(CertificateQuestion)
    worker = fields.Nested(CertificateWorker)
    answer = fields.Nested(CertificateAnswer)
    checkpoint = fields.String()
    events = fields.List(fields.Nested(CertificateEvent))
