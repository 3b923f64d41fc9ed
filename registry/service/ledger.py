"""Use cases of the contribution ledger: invoice a month, record and reverse payments.

Each is get -> command -> save on the agreement's `ContributionLedger` stream
(`RegistryApplication.write`): a save that loses a race against another write
to the same ledger is decided again on the ledger as that write left it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from registry.config import ConfigurationError, Settings
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.contribution_ledger import ContributionLedger
from registry.domain.contributions import rate_in
from registry.domain.dates import today
from registry.domain.errors import NotFound, RegistryError, ValidationFailed
from registry.domain.ledger import (
    MonthOutsideTerms,
    Policy,
    due_on,
    month_bounds,
    parse_month,
)

# Workers an enrollment under the agreement covers on some day of the period.
Billable = Callable[[UUID, date, date], int]


def policy_of(settings: Settings) -> Policy:
    """The ledger's policy from REGISTRY_LAPSE_AFTER_MONTHS and REGISTRY_HOLIDAYS_FILE."""
    return _policy(settings.lapse_after_months, settings.holidays_file)


@functools.lru_cache(maxsize=8)
def _policy(lapse_after_months: int, holidays_file: str) -> Policy:
    days: set[date] = set()
    if holidays_file:
        for number, line in enumerate(Path(holidays_file).read_text().splitlines(), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                days.add(date.fromisoformat(text))
            except ValueError:
                raise ConfigurationError(
                    f"REGISTRY_HOLIDAYS_FILE {holidays_file}, line {number}: {text!r} is not "
                    "an ISO date (YYYY-MM-DD)") from None
    return Policy(lapse_after_months, frozenset(days))


def check_in_terms(agreement: Agreement, month: str, name: str = "month") -> int:
    """The month's monthly contribution per worker; 422 if no term of the agreement
    has a day in it."""
    start, end = month_bounds(month)
    rate = rate_in(agreement.terms, start, end)
    if not any(t.starts_on <= end and start <= t.ends_on for t in agreement.terms):
        raise MonthOutsideTerms(
            f"{name}: {month} is outside every term of {agreement.agreement_number}",
            {name: "outside every term of the agreement"})
    return rate


@dataclass(frozen=True)
class Invoiced:
    invoice_number: str
    month: str
    workers: int
    amount_idr: int
    due_on: date
    adjustment: bool
    position: int


@dataclass(frozen=True)
class Paid:
    reference: str
    amount_idr: int
    paid_on: date
    allocations: list[dict[str, Any]]
    credit_idr: int
    position: int


@dataclass(frozen=True)
class StatementRow:
    """One line of a bank statement: a payment to record against an agreement."""

    line: int  # the file's line (header = 1)
    agreement_number: str
    reference: str
    amount_idr: int
    paid_on: date


@dataclass(frozen=True)
class Imported:
    row: StatementRow
    status: str  # "recorded", "already_recorded" or "unmatched" (no such agreement)
    allocations: list[dict[str, Any]]
    credit_idr: int


class RowRefused(ValidationFailed):
    """A statement row the rules refuse: the whole file is refused with it."""


class Ledgers:
    """The ledger use cases over the registry's application (`app.write`)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    @property
    def policy(self) -> Policy:
        policy: Policy = self.app.ledger_policy
        return policy

    def invoice(self, ctx: Context, agreement_id: UUID, month: str, billable: Billable,
                reason: str | None = None) -> Invoiced:
        """Bill the month for the workers the roster owes for now; an adjustment when
        the month was billed before (only the difference)."""
        month = parse_month(month)

        def attempt() -> tuple[list[Aggregate], Invoiced]:
            agreement = self.app._get(agreement_id)
            rate = check_in_terms(agreement, month)
            workers = billable(agreement_id, *month_bounds(month))
            ledger = self._ledger(ctx, agreement)
            event = ledger.invoice(ctx, month=month, workers=workers, owed_idr=workers * rate,
                                   due_on=due_on(month, self.policy.holidays), reason=reason)
            return [ledger], Invoiced(event.invoice_number, month, workers, event.amount_idr,
                                      event.due_on, event.adjustment, 0)

        found, position = self.app.write(attempt, ctx)
        return Invoiced(**{**found.__dict__, "position": position})

    def pay(self, ctx: Context, agreement_id: UUID, *, amount_idr: int, paid_on: date,
            reference: str, months: Sequence[str] | None = None,
            reason: str | None = None) -> Paid:
        """Record a payment, allocated oldest billed month first, or to `months`."""
        named = [parse_month(m, "months") for m in months] if months else None

        def attempt() -> tuple[list[Aggregate], Paid]:
            agreement = self.app._get(agreement_id)
            for month in named or ():
                check_in_terms(agreement, month, "months")
            ledger = self._ledger(ctx, agreement)
            event = ledger.pay(ctx, amount_idr=amount_idr, paid_on=paid_on,
                               reference=reference, today=today(), months=named,
                               reason=reason)
            return [ledger], _paid(event)

        found, position = self.app.write(attempt, ctx)
        return Paid(**{**found.__dict__, "position": position})

    def reverse(self, ctx: Context, agreement_id: UUID, reference: str, reason: str) -> Paid:
        """Take back a payment recorded in error (it stays in the history)."""

        def attempt() -> tuple[list[Aggregate], Paid]:
            agreement = self.app._get(agreement_id)
            ledger = self._ledger(ctx, agreement)
            return [ledger], _paid(ledger.reverse(ctx, reference, reason))

        found, position = self.app.write(attempt, ctx)
        return Paid(**{**found.__dict__, "position": position})

    def import_statement(self, ctx: Context, rows: Sequence[StatementRow]
                     ) -> tuple[list[Imported], int]:
        """Record a bank statement's payments in one save: all of them or, if a row is
        refused, none. A row whose reference is already recorded for its agreement with
        the same amount and day is `already_recorded` (the file imported again); one
        naming no agreement is `unmatched` and recorded nowhere."""

        def attempt() -> tuple[list[Aggregate], list[Imported]]:
            ledgers: dict[UUID, ContributionLedger] = {}
            out = []
            for row in rows:
                agreement_id = Agreement.create_id(row.agreement_number)
                try:
                    agreement = self.app._get(agreement_id)
                except NotFound:
                    out.append(Imported(row, "unmatched", [], 0))
                    continue
                ledger = ledgers.get(agreement_id) or self._ledger(ctx, agreement)
                ledgers[agreement_id] = ledger
                earlier = ledger.payments.get(row.reference.strip().casefold())
                if earlier is not None and (earlier["amount_idr"], earlier["paid_on"]) == (
                        row.amount_idr, row.paid_on):
                    out.append(Imported(row, "already_recorded", list(earlier["allocations"]),
                                        earlier["credit_idr"]))
                    continue
                try:
                    event = ledger.pay(ctx, amount_idr=row.amount_idr, paid_on=row.paid_on,
                                       reference=row.reference, today=today())
                except RegistryError as e:
                    raise RowRefused(f"line {row.line}: {e.detail}; nothing was recorded",
                                     {f"line {row.line}": e.code}) from None
                out.append(Imported(row, "recorded", list(event.allocations), event.credit_idr))
            return [ledger for ledger in ledgers.values() if ledger.pending_events], out

        return self.app.write(attempt, ctx)

    def existing(self, agreement_id: UUID) -> ContributionLedger | None:
        try:
            ledger = self.app.aggregates.get(ContributionLedger.create_id(agreement_id))
        except AggregateNotFoundError:
            return None
        return ledger if isinstance(ledger, ContributionLedger) else None

    def _ledger(self, ctx: Context, agreement: Agreement) -> ContributionLedger:
        found = self.existing(agreement.id)
        if found is not None:
            return found
        return ContributionLedger.open(ctx, agreement.id, agreement.agreement_number,
                                       agreement.region_code)


def _paid(event: Any) -> Paid:
    return Paid(event.reference, event.amount_idr, event.paid_on, list(event.allocations),
                event.credit_idr, 0)
