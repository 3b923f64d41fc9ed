"""The read side of the contribution ledger: one function per read the API serves.

As `projections/views.py`: each brings the read models up to the head of the
log, runs its queries in one transaction, and applies the domain's rules
(registry/domain/ledger.py) to what it read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from projections import coverage_queries, ledger_queries, reveal
from projections.coverage_queries import agreement_enrollments
from projections.runner import ProjectionRunner
from registry.domain import ledger
from registry.domain.contributions import rate_in
from registry.domain.errors import NotFound
from registry.domain.term import Term
from registry.store.db import Cursor

T = TypeVar("T")


_read = reveal.read


def _terms(doc: dict[str, Any]) -> list[Term]:
    return [Term(date.fromisoformat(t["starts_on"]), date.fromisoformat(t["ends_on"]),
                 t["quota"], t["monthly_contribution_idr"]) for t in doc["terms"]]


def billable(runner: ProjectionRunner) -> Callable[[UUID, date, date], int]:
    """Workers covered under an agreement on some day of a period, as recorded now:
    what an invoice bills for. Read on the primary, which the invoice is written to."""

    def count(agreement_id: UUID, first: date, last: date) -> int:
        return ProjectionRunner.read(runner, lambda cur: coverage_queries.billable_workers(
            cur, str(agreement_id), first, last))

    return count


def _statement(cur: Cursor, doc: dict[str, Any], months: list[str], on: date,
               known_at: datetime | None, policy: ledger.Policy,
               entries: list[ledger.Entry]) -> list[dict[str, object]]:
    terms = _terms(doc)
    periods = [ledger.month_bounds(m) for m in months]
    counts = ledger_queries.owed_workers(cur, doc["id"], periods, known_at)
    owed = {m: (n, n * rate_in(terms, *p)) for m, n, p in zip(months, counts, periods,
                                                               strict=True)}
    return ledger.statement(months, owed, ledger.month_facts(entries), on, policy.holidays)


def agreement_ledger(runner: ProjectionRunner, agreement_id: UUID, *,
                     first: str | None, last: str | None, on: date,
                     known_at: datetime | None = None) -> dict[str, Any]:
    """The agreement's months from `first` to `last` (default: its terms'): owed,
    billed, paid, balance and status; an MOU's rows sum its own and its children's."""
    policy = runner.app.ledger_policy

    def query(cur: Cursor) -> dict[str, Any]:
        doc = ledger_queries.agreement_docs(cur, [str(agreement_id)]).get(str(agreement_id))
        if doc is None:
            raise NotFound(f"no agreement {agreement_id}")
        docs = [doc, *(ledger_queries.children(cur, doc["id"]) if doc["kind"] == "MOU"
                       else [])]
        start = first or min(ledger.month_of(t.starts_on) for d in docs for t in _terms(d))
        end = last or max(ledger.month_of(t.ends_on) for d in docs for t in _terms(d))
        months = ledger.month_range(start, end)
        ids = [d["id"] for d in docs]
        lines = ledger_queries.entries(cur, ids, known_at)
        statements = [_statement(cur, d, months, on, known_at, policy, lines[d["id"]])
                      for d in docs]
        rows = ledger.combined(statements) if len(statements) > 1 else statements[0]
        credit = ledger_queries.credit(cur, ids, known_at)
        out: dict[str, Any] = {"agreement_id": doc["id"],
                               "agreement_number": doc["agreement_number"],
                               "months": rows, "totals": ledger.totals(rows),
                               "credit_idr": credit}
        if len(docs) > 1:
            out["children"] = [{"agreement_id": d["id"],
                                "agreement_number": d["agreement_number"],
                                "totals": ledger.totals(s)}
                               for d, s in zip(docs[1:], statements[1:], strict=True)]
        return out

    return _read(runner, query)


def standings(cur: Cursor, policy: ledger.Policy, agreement_ids: Sequence[str], on: date,
              known_at: datetime | None = None) -> dict[str, tuple[str, str | None]]:
    """(standing, paid_through) on `on` under each agreement, as recorded by `known_at`."""
    lines = ledger_queries.entries(cur, sorted(set(agreement_ids)), known_at)
    out = {}
    for agreement_id, found in lines.items():
        facts = ledger.month_facts(found)
        out[agreement_id] = (ledger.standing(facts, on, policy), ledger.paid_through(facts, on))
    return out


def lapsed_in(cur: Cursor, policy: ledger.Policy, scope: str, on: date,
              known_at: datetime | None = None) -> list[str]:
    """The agreements of the region (a province holds its regencies) whose coverage has
    lapsed on `on` for unpaid contributions, as recorded by `known_at`."""
    return lapsed_on(cur, policy, [scope], [on], known_at)[on]


def lapsed_on(cur: Cursor, policy: ledger.Policy, scopes: list[str] | None,
              days: Sequence[date], known_at: datetime | None = None
              ) -> dict[date, list[str]]:
    """For each day, the agreements in the scopes (None: anywhere) whose coverage has
    lapsed that day for unpaid contributions; each ledger read once."""
    billed = [doc["id"] for doc in ledger_queries.billed_agreements(cur, scopes)]
    facts = {agreement_id: ledger.month_facts(found) for agreement_id, found
             in ledger_queries.entries(cur, billed, known_at).items()}
    return {day: sorted(a for a, f in facts.items()
                        if ledger.standing(f, day, policy) == ledger.LAPSED) for day in days}


def standing_of(coverages: list[dict[str, Any]],
                found: dict[str, tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Each coverage with its agreement's (standing, paid_through) from `standings`."""
    return [{**c, "standing": found[c["agreement_id"]][0],
             "paid_through": found[c["agreement_id"]][1]} for c in coverages]


def arrears(runner: ProjectionRunner, scope: str, *, on: date) -> dict[str, Any]:
    """The region's agreements with overdue months on `on`: how many, and what is left
    to pay on them; the region's totals of what was billed and paid."""
    def query(cur: Cursor) -> dict[str, Any]:
        docs = ledger_queries.billed_agreements(cur, scope)
        lines = ledger_queries.entries(cur, [d["id"] for d in docs])
        items, billed, paid = [], 0, 0
        for doc in docs:
            facts = ledger.month_facts(lines[doc["id"]])
            billed += sum(f.invoiced for f in facts.values())
            paid += sum(f.paid for f in facts.values())
            overdue = [m for m, f in sorted(facts.items())
                       if ledger.month_status(f, on) in ledger.OVERDUE]
            if overdue:
                items.append({"agreement_id": doc["id"],
                              "agreement_number": doc["agreement_number"],
                              "region_code": doc["region_code"],
                              "unpaid_months": overdue,
                              "balance_idr": sum(facts[m].invoiced - facts[m].paid
                                                 for m in overdue),
                              "standing": ledger.standing(facts, on,
                                                          runner.app.ledger_policy)})
        return {"region_code": scope, "on": on.isoformat(), "items": items,
                "total_idr": sum(i["balance_idr"] for i in items),
                "invoiced_idr": billed, "paid_idr": paid}

    return _read(runner, query)


def paid_after_death(runner: ProjectionRunner, scopes: list[str] | None) -> list[dict[str, Any]]:
    """Each worker billed for a month after the day of their DECEASED disenrollment."""
    def query(cur: Cursor) -> list[dict[str, Any]]:
        seen: set[tuple[str, str, str]] = set()
        items = []
        for nik, agreement_id, number, month, died_on, invoice, amount, workers in (
                ledger_queries.billed_after_death(cur, scopes)):
            if (nik, agreement_id, month) in seen:
                continue  # an adjustment of the month bills her again: one finding
            seen.add((nik, agreement_id, month))
            items.append({"nik": nik, "agreement_id": agreement_id, "agreement_number": number,
                          "month": month, "died_on": died_on, "invoice_number": invoice,
                          "amount_idr": int(amount) // int(workers) if workers else 0})
        return items

    return _read(runner, query)


def agreements_in_month(runner: ProjectionRunner, month: str) -> list[tuple[str, str]]:
    """(id, agreement_number) of the agreements a term of which has a day in the month."""
    first, last = ledger.month_bounds(month)
    return _read(runner, lambda cur: ledger_queries.agreements_in_month(cur, first, last))


def overdue_months(runner: ProjectionRunner, agreement_ids: Sequence[str],
                   on: date) -> list[tuple[str, str, int]]:
    """(agreement_id, month, balance) of each billed month not settled on `on`, past due
    or not: what a reconciliation shows as underpaid."""
    lines = _read(runner, lambda cur: ledger_queries.entries(cur, list(agreement_ids)))
    return [(agreement_id, month, f.invoiced - f.paid)
            for agreement_id, found in lines.items()
            for month, f in sorted(ledger.month_facts(found).items())
            if f.invoices and f.paid < f.invoiced]


def enrollments_of(runner: ProjectionRunner, agreement_id: UUID, limit: int = 50
                   ) -> tuple[list[str], int | None]:
    """The NIKs of the agreement's first enrollments, in enrollment order."""
    items, after = _read(runner, lambda cur: agreement_enrollments(
        cur, str(agreement_id), on=date.today(), status=None, after=0, limit=limit))
    return [e["nik"] for e in items], after
