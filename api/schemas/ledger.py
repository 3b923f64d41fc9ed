"""Request and response bodies of the contribution ledger."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from api.schemas.common import Day, Strict, Text, UtcTimestamp
from api.schemas.workers import MONTH_PATTERN
from registry.domain.ledger import MONTH, MONTH_STATUSES, STANDINGS

MAX_IDR = 10**15


class MonthText(fields.String):
    """A month as "YYYY-MM"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(metadata={"pattern": MONTH_PATTERN, "example": "2022-10"}, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not MONTH.match(text):
            raise ValidationError("must be a month as YYYY-MM")
        return text


class InvoiceIn(Strict):
    month = MonthText(required=True)
    reason = Text(load_default=None, allow_none=True, max_length=2000)


class InvoiceOut(Strict):
    invoice_number = fields.String()
    month = fields.String()
    workers = fields.Integer()
    amount_idr = fields.Integer()
    due_on = fields.Date()
    adjustment = fields.Boolean()
    position = fields.Integer()


class PaymentIn(Strict):
    # Any whole number, so that zero and negative amounts are refused with their own code.
    amount_idr = fields.Integer(required=True, strict=True,
                                validate=validate.Range(min=-MAX_IDR, max=MAX_IDR))
    paid_on = Day(required=True)
    reference = Text(required=True, max_length=100)
    months = fields.List(MonthText(), load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=120))
    reason = Text(load_default=None, allow_none=True, max_length=2000)


class ReversalIn(Strict):
    reason = Text(required=True, max_length=2000)


class AllocationOut(Strict):
    month = fields.String()
    amount_idr = fields.Integer()


class PaymentOut(Strict):
    reference = fields.String()
    amount_idr = fields.Integer()
    paid_on = fields.Date()
    allocations = fields.List(fields.Nested(AllocationOut))
    credit_idr = fields.Integer()
    reversed = fields.Boolean()
    position = fields.Integer()


class LedgerQuery(Strict):
    from_ = MonthText(data_key="from", load_default=None)
    to = MonthText(load_default=None)
    known_at = UtcTimestamp(load_default=None)


class LedgerMonthOut(Strict):
    month = fields.String()
    workers = fields.Integer(metadata={"description": "workers the roster owes for"})
    owed_idr = fields.Integer()
    invoiced_idr = fields.Integer()
    paid_idr = fields.Integer()
    balance_idr = fields.Integer(metadata={"description": "invoiced less paid"})
    uninvoiced_idr = fields.Integer(metadata={"description": "owed less invoiced"})
    due_on = fields.String()
    paid_on = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(MONTH_STATUSES)})


class TotalsOut(Strict):
    owed_idr = fields.Integer()
    invoiced_idr = fields.Integer()
    paid_idr = fields.Integer()
    balance_idr = fields.Integer()


class ChildLedgerOut(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    totals = fields.Nested(TotalsOut)


class LedgerOut(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    known_at = fields.String(allow_none=True)
    months = fields.List(fields.Nested(LedgerMonthOut))
    totals = fields.Nested(TotalsOut)
    credit_idr = fields.Integer()
    children = fields.List(fields.Nested(ChildLedgerOut))


class ArrearsQuery(Strict):
    on = Day(load_default=None)


class ArrearsItemOut(Strict):
    agreement_id = fields.String()
    agreement_number = fields.String()
    region_code = fields.String()
    unpaid_months = fields.List(fields.String())
    balance_idr = fields.Integer()
    standing = fields.String(metadata={"enum": list(STANDINGS)})


class ArrearsOut(Strict):
    region_code = fields.String()
    on = fields.String()
    items = fields.List(fields.Nested(ArrearsItemOut))
    total_idr = fields.Integer(metadata={"description": "the balance of the overdue months"})
    invoiced_idr = fields.Integer(metadata={"description": "everything billed in the region"})
    paid_idr = fields.Integer(metadata={"description": "everything paid in the region"})


class DeathFindingOut(Strict):
    nik = fields.String()
    agreement_id = fields.String()
    agreement_number = fields.String()
    month = fields.String()
    died_on = fields.String()
    invoice_number = fields.String()
    amount_idr = fields.Integer()


class DeathFindingsOut(Strict):
    items = fields.List(fields.Nested(DeathFindingOut))


class NoQuery(Strict):
    """No query parameters: any is refused by name."""
