"""Events of an agreement's contribution ledger: invoices, payments, reversals.

The ledger is a stream of its own per agreement (`ContributionLedger`), so that
payments never move the agreement's version (its ETag) and two payments against
one agreement are ordered by that one stream's optimistic concurrency. Every
event names its agreement, which is what the history links it to.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import RegistryCreated, RegistryEvent


class ContributionLedgerOpened(RegistryCreated):
    """The agreement's first invoice or payment opened its ledger."""

    TOPIC = "ContributionLedgerOpened"

    agreement_id: UUID
    agreement_number: str
    region_code: str


class ContributionInvoiced(RegistryEvent):
    """What was billed for `month` ("YYYY-MM"), frozen when issued.

    `amount_idr` is what this invoice bills: the whole month, or for an
    adjustment only the difference from what earlier invoices billed (negative
    when fewer workers are owed for than were billed). `workers` is how many
    workers the month is billed for after this invoice.
    """

    TOPIC = "ContributionInvoiced"

    agreement_id: UUID
    invoice_number: str
    month: str
    workers: int
    amount_idr: int
    due_on: date
    adjustment: bool
    reason: str | None


class ContributionPaid(RegistryEvent):
    """A payment (an SP2D or virtual-account reference), and how it was allocated.

    `allocations` ([{month, amount_idr}]) is frozen as the payment found the
    ledger; what it did not settle is `credit_idr`.
    """

    TOPIC = "ContributionPaid"

    agreement_id: UUID
    reference: str
    amount_idr: int
    paid_on: date
    allocations: list[dict[str, object]]
    credit_idr: int
    reason: str | None


class PaymentReversed(RegistryEvent):
    """A payment recorded in error: its allocations and credit are taken back."""

    TOPIC = "PaymentReversed"

    agreement_id: UUID
    reference: str
    amount_idr: int
    paid_on: date
    allocations: list[dict[str, object]]
    credit_idr: int
    reason: str
