"""Bodies of erasure and legal holds (docs/privacy.md)."""

from __future__ import annotations

from marshmallow import fields

from api.schemas.common import Strict, StrictBoolean, Text


class ErasureIn(Strict):
    reason = Text(required=True, max_length=2000,
                  metadata={"description": "why, e.g. the person's request and its date"})
    legal_basis = Text(required=True, max_length=500,
                       metadata={"description": "e.g. UU 27/2022 Pasal 8"})


class ErasureOut(Strict):
    worker_id = fields.String(metadata={"description": "the pseudonym the facts remain under"})
    erased = fields.Boolean()
    position = fields.Integer()


class LegalHoldIn(Strict):
    held = StrictBoolean(required=True)
    reason = Text(required=True, max_length=2000)


class LegalHoldOut(Strict):
    held = fields.Boolean()
    reason = fields.String()
    position = fields.Integer()
