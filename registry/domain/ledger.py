"""The contribution rules of BPJS Ketenagakerjaan for BPU workers, as pure functions.

A month's contribution is due by the 15th of that month (the next working day
when the 15th is a weekend or a public holiday); after `lapse_after_months`
consecutive unpaid months (3, the published rule) membership stops being
active. docs/contributions.md gives the reading of the rule these implement.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from events import ContributionInvoiced, ContributionPaid, PaymentReversed
from registry.domain.errors import ValidationFailed

DUE_DAY = 15
LAPSE_AFTER_MONTHS = 3
MONTH = re.compile(r"(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])\Z")  # 1900..2199, as `Day`
# Statuses of a month, and of coverage on a day under an agreement.
NOT_INVOICED, NOT_DUE, PAID, PAID_LATE, PARTIAL, UNPAID = (
    "not_invoiced", "not_due", "paid", "paid_late", "partial", "unpaid")
MONTH_STATUSES = (NOT_INVOICED, NOT_DUE, PAID, PAID_LATE, PARTIAL, UNPAID)
GOOD, IN_ARREARS, LAPSED = "good", "in_arrears", "lapsed"
STANDINGS = (GOOD, IN_ARREARS, LAPSED)
SETTLED = (PAID, PAID_LATE)
OVERDUE = (PARTIAL, UNPAID)


@dataclass(frozen=True)
class Policy:
    """The rule's two settings: REGISTRY_LAPSE_AFTER_MONTHS and REGISTRY_HOLIDAYS_FILE."""

    lapse_after_months: int = LAPSE_AFTER_MONTHS
    holidays: frozenset[date] = field(default_factory=frozenset)


class MonthOutsideTerms(ValidationFailed):
    code = "month_outside_terms"


def parse_month(text: str, name: str = "month") -> str:
    """A month as "YYYY-MM", or 422 naming the field."""
    if not isinstance(text, str) or not MONTH.match(text):
        raise ValidationFailed(f"{name}: must be a month as YYYY-MM, got {text!r}",
                               {name: "must be a month as YYYY-MM"})
    return text


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def month_bounds(month: str) -> tuple[date, date]:
    """The month's first and last day."""
    start = first_day(month)
    return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = next_month(month)
    return out


def due_on(month: str, holidays: Iterable[date] = ()) -> date:
    """The 15th of the month, or the next working day after a weekend or a holiday."""
    closed = frozenset(holidays)
    day = first_day(month).replace(day=DUE_DAY)
    while day.weekday() >= 5 or day in closed:
        day += timedelta(days=1)
    return day


def allocate(outstanding: Mapping[str, int], amount: int,
             named: Sequence[str] | None = None) -> tuple[list[dict[str, object]], int]:
    """Spread a payment over what is owed on invoices: the oldest months first, or
    only the `named` months in the order given. Returns ([{month, amount_idr}], credit)."""
    order = list(named) if named else sorted(outstanding)
    allocations: list[dict[str, object]] = []
    left = amount
    for month in order:
        take = min(left, max(outstanding.get(month, 0), 0))
        if take > 0:
            allocations.append({"month": month, "amount_idr": take})
            left -= take
    return allocations, left


@dataclass
class MonthFacts:
    """What a ledger knows of one month: billed, paid, and when it was settled."""

    invoiced: int = 0
    paid: int = 0
    workers: int = 0
    due_on: date | None = None
    settled_on: date | None = None  # the paid_on of the payment that settled it
    last_paid_on: date | None = None
    invoices: int = 0


@dataclass(frozen=True)
class Entry:
    """One line of a ledger in log order: an invoice, or a payment's (or a
    reversal's, negative) allocation to a month."""

    kind: str  # "invoice" or "payment"
    month: str
    amount_idr: int
    workers: int = 0
    due_on: date | None = None
    paid_on: date | None = None


def month_facts(entries: Iterable[Entry]) -> dict[str, MonthFacts]:
    """Each month's facts from the ledger's entries, in the order they were recorded."""
    facts: dict[str, MonthFacts] = {}
    for entry in entries:
        month = facts.setdefault(entry.month, MonthFacts())
        if entry.kind == "invoice":
            month.invoiced += entry.amount_idr
            month.workers = entry.workers
            month.due_on = entry.due_on
            month.invoices += 1
        else:
            month.paid += entry.amount_idr
            if entry.amount_idr > 0 and entry.paid_on is not None:
                month.last_paid_on = max(month.last_paid_on or entry.paid_on, entry.paid_on)
        settled = month.invoices > 0 and month.paid >= month.invoiced
        if not settled:
            month.settled_on = None
        elif month.settled_on is None:
            month.settled_on = entry.paid_on if entry.kind == "payment" else month.last_paid_on
    return facts


def month_status(facts: MonthFacts | None, on: date) -> str:
    """The month's status as seen on `on`, every payment recorded counted."""
    if facts is None or facts.invoices == 0:
        return NOT_INVOICED
    if facts.paid >= facts.invoiced:
        due = facts.due_on or date.max
        settled = facts.settled_on or facts.last_paid_on
        return PAID if settled is None or settled <= due else PAID_LATE
    if facts.due_on is not None and on <= facts.due_on:
        return NOT_DUE
    return PARTIAL if facts.paid > 0 else UNPAID


def unpaid_run(facts: Mapping[str, MonthFacts], month: str, on: date) -> int:
    """Consecutive overdue invoiced months up to `month`. The month itself is passed
    over while it is not yet due or not yet invoiced (it cannot end a lapse); an
    earlier month never invoiced, or settled, ends the run."""
    run, current = 0, month
    status = month_status(facts.get(current), on)
    if status in (NOT_DUE, NOT_INVOICED):
        current = previous_month(current)
    while True:
        status = month_status(facts.get(current), on)
        if status == NOT_DUE:  # an earlier month with a later due date: not overdue yet
            current = previous_month(current)
            continue
        if status not in OVERDUE:
            return run
        run += 1
        current = previous_month(current)


def standing(facts: Mapping[str, MonthFacts], on: date, policy: Policy = Policy()) -> str:
    """Coverage under an agreement on `on`: `good` when the month is paid (on time
    or late) or not yet due, `in_arrears` while fewer than the policy's number of
    consecutive invoiced months are overdue, `lapsed` from that number on."""
    month = month_of(on)
    status = month_status(facts.get(month), on)
    if status in SETTLED:
        return GOOD
    if unpaid_run(facts, month, on) >= policy.lapse_after_months:
        return LAPSED
    return IN_ARREARS if status in OVERDUE else GOOD


def paid_through(facts: Mapping[str, MonthFacts], on: date) -> str | None:
    """The last month settled with every invoiced month before it settled too."""
    last = None
    for month in sorted(facts):
        status = month_status(facts[month], on)
        if status in SETTLED:
            last = month
        elif status != NOT_INVOICED:
            break
    return last


# Worst first: what a month of an MOU shows when its agreements' months differ.
_SEVERITY = (UNPAID, PARTIAL, NOT_INVOICED, PAID_LATE, NOT_DUE, PAID)


def statement(months: Sequence[str], owed: Mapping[str, tuple[int, int]],
              facts: Mapping[str, MonthFacts], on: date,
              holidays: Iterable[date] = ()) -> list[dict[str, object]]:
    """The ledger's rows: for each month, (workers, amount) owed by the roster, what
    was billed and paid, the balance left on the bills, and the status on `on`.
    `uninvoiced_idr` is what the roster owes beyond what was billed (a backdated
    enrollment, a void: negative)."""
    rows: list[dict[str, object]] = []
    for month in months:
        workers, owed_idr = owed.get(month, (0, 0))
        fact = facts.get(month) or MonthFacts()
        paid_on = fact.settled_on or fact.last_paid_on
        rows.append({
            "month": month, "workers": workers, "owed_idr": owed_idr,
            "invoiced_idr": fact.invoiced, "paid_idr": fact.paid,
            "balance_idr": fact.invoiced - fact.paid,
            "uninvoiced_idr": owed_idr - fact.invoiced,
            "due_on": (fact.due_on or due_on(month, holidays)).isoformat(),
            "paid_on": paid_on.isoformat() if paid_on else None,
            "status": month_status(facts.get(month), on),
        })
    return rows


def combined(statements: Sequence[list[dict[str, object]]]) -> list[dict[str, object]]:
    """Several agreements' rows for the same months, summed (an MOU and its PKS)."""
    out: list[dict[str, object]] = []
    for rows in zip(*statements, strict=True):
        row = dict(rows[0])
        for name in ("workers", "owed_idr", "invoiced_idr", "paid_idr", "balance_idr",
                     "uninvoiced_idr"):
            row[name] = sum(int(str(r[name])) for r in rows)
        paid = [str(r["paid_on"]) for r in rows if r["paid_on"]]
        row["paid_on"] = max(paid) if paid else None
        # An agreement with nothing owed or billed that month says nothing of it.
        telling = [r for r in rows if r["owed_idr"] or r["invoiced_idr"]] or list(rows)
        row["status"] = min((str(r["status"]) for r in telling), key=_SEVERITY.index)
        out.append(row)
    return out


def totals(rows: Iterable[Mapping[str, object]]) -> dict[str, int]:
    names = ("owed_idr", "invoiced_idr", "paid_idr", "balance_idr")
    rows = list(rows)
    return {name: sum(int(str(r[name])) for r in rows) for name in names}


def entries_of(events: Iterable[object]) -> list[Entry]:
    """A ledger stream's events (in order) as its lines: what the ledger read model
    stores, for an answer computed from the events themselves (a certificate)."""
    out: list[Entry] = []
    for event in events:
        if isinstance(event, ContributionInvoiced):
            out.append(Entry("invoice", event.month, event.amount_idr, event.workers,
                             event.due_on))
        elif isinstance(event, ContributionPaid | PaymentReversed):
            sign = 1 if isinstance(event, ContributionPaid) else -1
            out += [Entry("payment", str(a["month"]), sign * int(str(a["amount_idr"])),
                          paid_on=event.paid_on) for a in event.allocations]
    return out
