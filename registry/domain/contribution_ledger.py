"""The ContributionLedger aggregate: what was billed and paid under one agreement.

One stream per agreement (its id derived from the agreement's), so that every
payment against an agreement is decided on the ledger as the last save left
it: two concurrent payments cannot both take the same month, the second save
loses the race and is decided again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import singledispatchmethod
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import (
    ContributionInvoiced,
    ContributionLedgerOpened,
    ContributionPaid,
    PaymentReversed,
    RegistryEvent,
)
from registry.domain.context import Context
from registry.domain.errors import InvalidTransition, NotFound, RegistryError, ValidationFailed
from registry.domain.ids import derived_id
from registry.domain.ledger import allocate

E = TypeVar("E", bound=RegistryEvent)


class NothingToInvoice(RegistryError):
    """What is owed for the month equals what was already billed."""

    code = "nothing_to_invoice"


class DuplicatePaymentReference(RegistryError):
    """A payment with this reference was already recorded for the agreement."""

    code = "duplicate_payment_reference"


class AmountNotPositive(ValidationFailed):
    code = "amount_not_positive"


class PaidOnInFuture(ValidationFailed):
    code = "paid_on_in_future"


class MonthNotInvoiced(ValidationFailed):
    code = "month_not_invoiced"


class ContributionLedger(Aggregate):
    TOPIC = "ContributionLedger"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = ContributionLedgerOpened  # type: ignore[assignment]

    def __init__(self) -> None:
        self.invoiced: dict[str, int] = {}
        self.paid: dict[str, int] = {}
        self.invoice_count = 0
        self.payments: dict[str, dict[str, Any]] = {}  # by reference (folded case)
        self.credit_idr = 0

    @staticmethod
    def create_id(agreement_id: UUID) -> UUID:
        return derived_id("ledger", str(agreement_id))

    @classmethod
    def open(cls, ctx: Context, agreement_id: UUID, agreement_number: str,
             region_code: str) -> ContributionLedger:
        return cls._create(ContributionLedgerOpened, id=cls.create_id(agreement_id),
                           **ctx.stamp(), agreement_id=agreement_id,
                           agreement_number=agreement_number, region_code=region_code)

    # Commands.

    def invoice(self, ctx: Context, *, month: str, workers: int, owed_idr: int, due_on: date,
                reason: str | None = None) -> ContributionInvoiced:
        """Bill the month: all of what is owed, or the difference from what was billed."""
        billed = self.invoiced.get(month)
        amount = owed_idr - (billed or 0)
        if amount == 0 and billed is None:
            raise NothingToInvoice(f"nothing is owed for {month} of {self.agreement_number}")
        if amount == 0:
            raise NothingToInvoice(
                f"{month} of {self.agreement_number} is already billed at Rp {owed_idr:,}, "
                "what is owed for it")
        self.trigger_event(
            ContributionInvoiced, **ctx.stamp(), agreement_id=self.agreement_id,
            invoice_number=f"{self.agreement_number}/INV/{month}/{self.invoice_count + 1}",
            month=month, workers=workers, amount_idr=amount, due_on=due_on,
            adjustment=billed is not None, reason=reason)
        return self._last(ContributionInvoiced)

    def pay(self, ctx: Context, *, amount_idr: int, paid_on: date, reference: str,
            today: date, months: Sequence[str] | None = None,
            reason: str | None = None) -> ContributionPaid:
        """Record a payment, allocated to the oldest billed months first (or to
        `months`); what is left over is credit."""
        reference = reference.strip()
        if not reference:
            raise ValidationFailed("reference: must not be blank", {"reference": "blank"})
        if amount_idr <= 0:
            raise AmountNotPositive(f"amount_idr must be above 0, got {amount_idr}",
                                    {"amount_idr": "must be above 0"})
        if paid_on > today:
            raise PaidOnInFuture(f"paid_on {paid_on} is after today, {today}",
                                 {"paid_on": "must not be in the future"})
        if reference.casefold() in self.payments:
            raise DuplicatePaymentReference(
                f"a payment with reference {reference!r} is already recorded for "
                f"{self.agreement_number}", {"reference": "already recorded"})
        named = list(dict.fromkeys(months)) if months else None
        unbilled = [m for m in named or () if m not in self.invoiced]
        if unbilled:
            raise MonthNotInvoiced(f"months never invoiced: {', '.join(unbilled)}",
                                   {"months": "every month named must have been invoiced"})
        allocations, credit = allocate(self.outstanding(), amount_idr, named)
        self.trigger_event(
            ContributionPaid, **ctx.stamp(), agreement_id=self.agreement_id,
            reference=reference, amount_idr=amount_idr, paid_on=paid_on,
            allocations=allocations, credit_idr=credit, reason=reason)
        return self._last(ContributionPaid)

    def reverse(self, ctx: Context, reference: str, reason: str) -> PaymentReversed:
        """Take back a payment recorded in error; it stays in the history."""
        if not reason.strip():
            raise ValidationFailed("reason: must not be blank", {"reason": "blank"})
        payment = self.payments.get(reference.strip().casefold())
        if payment is None:
            raise NotFound(f"no payment with reference {reference!r} for "
                           f"{self.agreement_number}")
        if payment["reversed"]:
            raise InvalidTransition(f"the payment {reference!r} was already reversed")
        self.trigger_event(
            PaymentReversed, **ctx.stamp(), agreement_id=self.agreement_id,
            reference=payment["reference"], amount_idr=payment["amount_idr"],
            paid_on=payment["paid_on"], allocations=payment["allocations"],
            credit_idr=payment["credit_idr"], reason=reason)
        return self._last(PaymentReversed)

    # Queries.

    def outstanding(self) -> dict[str, int]:
        return {m: self.invoiced[m] - self.paid.get(m, 0) for m in sorted(self.invoiced)
                if self.invoiced[m] > self.paid.get(m, 0)}

    def _last(self, kind: type[E]) -> E:
        event = self.pending_events[-1]
        assert isinstance(event, kind)
        return event

    # State changes, applied on every replay.

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(ContributionLedgerOpened)
    def _opened(self, e: ContributionLedgerOpened) -> None:
        self.agreement_id = e.agreement_id
        self.agreement_number = e.agreement_number
        self.region_code = e.region_code

    @when.register(ContributionInvoiced)
    def _invoiced(self, e: ContributionInvoiced) -> None:
        self.invoiced[e.month] = self.invoiced.get(e.month, 0) + e.amount_idr
        self.invoice_count += 1

    @when.register(ContributionPaid)
    def _paid(self, e: ContributionPaid) -> None:
        self._allocate(e.allocations, 1)
        self.credit_idr += e.credit_idr
        self.payments[e.reference.casefold()] = {
            "reference": e.reference, "amount_idr": e.amount_idr, "paid_on": e.paid_on,
            "allocations": e.allocations, "credit_idr": e.credit_idr, "reversed": False}

    @when.register(PaymentReversed)
    def _reversed(self, e: PaymentReversed) -> None:
        self._allocate(e.allocations, -1)
        self.credit_idr -= e.credit_idr
        self.payments[e.reference.casefold()]["reversed"] = True

    def _allocate(self, allocations: list[dict[str, Any]], sign: int) -> None:
        for allocation in allocations:
            month = str(allocation["month"])
            self.paid[month] = self.paid.get(month, 0) + sign * int(allocation["amount_idr"])
