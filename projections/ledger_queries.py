"""Queries over the ledger read model (and the coverage and agreements models it meets)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from projections import rules_sql
from projections.agreements import region_clause
from projections.coverage_queries import as_of
from registry.domain.coverage_rules import covers
from registry.domain.dates import utc_iso
from registry.domain.ledger import Entry
from registry.store.db import Cursor

Period = tuple[date, date]


def entries(cur: Cursor, agreement_ids: Sequence[str], known_at: datetime | None = None
            ) -> dict[str, list[Entry]]:
    """Each agreement's invoice and payment lines recorded by `known_at`, in log order.
    Credit lines are left out: they belong to no month (`credit`)."""
    found: dict[str, list[Entry]] = {a: [] for a in agreement_ids}
    if not agreement_ids:
        return found
    where, params = _lines_where(agreement_ids, known_at)
    rows = cur.execute(
        "SELECT agreement_id, kind, month, amount_idr, workers, due_on, paid_on "  # noqa: S608
        f"FROM rm_ledger_lines WHERE {where} AND kind != 'credit' "
        "ORDER BY position, line", params).fetchall()
    for agreement_id, kind, month, amount, workers, due, paid in rows:
        found[agreement_id].append(Entry(
            kind, month, int(amount), int(workers), date.fromisoformat(due) if due else None,
            date.fromisoformat(paid) if paid else None))
    return found


def credit(cur: Cursor, agreement_ids: Sequence[str], known_at: datetime | None = None) -> int:
    """What payments left over after their allocations (less what reversals took back)."""
    if not agreement_ids:
        return 0
    where, params = _lines_where(agreement_ids, known_at)
    row = cur.execute(f"SELECT COALESCE(SUM(amount_idr), 0) FROM rm_ledger_lines "  # noqa: S608
                      f"WHERE {where} AND kind = 'credit'", params).one()
    return int(row[0])


def _lines_where(agreement_ids: Sequence[str], known_at: datetime | None
                 ) -> tuple[str, list[Any]]:
    marks = ", ".join("?" for _ in agreement_ids)
    where, params = f"agreement_id IN ({marks})", list(agreement_ids)
    if known_at is not None:
        where += " AND recorded_at <= ?"
        params.append(utc_iso(known_at))
    return where, params


def owed_workers(cur: Cursor, agreement_id: str, periods: Sequence[Period],
                 known_at: datetime | None = None) -> list[int]:
    """Workers an enrollment under the agreement covers on some day of each period, as
    recorded by `known_at` (`coverage_queries.billable_workers` of each).

    The enrollments are read grouped by their dates (a batch shares them), and each
    period counts the groups `coverage_rules.covers` says overlap it; a worker with
    more than one enrollment under the agreement is then counted once."""
    version, version_params = as_of(known_at)
    where = f"agreement_id = ? AND {version}"
    params = [agreement_id, *version_params]
    groups = [(status, date.fromisoformat(a), date.fromisoformat(b), int(n))
              for status, a, b, n in cur.execute(
                  "SELECT status, starts_on, covered_until, COUNT(*) "  # noqa: S608
                  f"FROM rm_enrollments WHERE {where} "
                  "GROUP BY status, starts_on, covered_until", params).fetchall()]
    repeated: dict[str, list[tuple[str, date, date]]] = {}
    for nik, status, a, b in cur.execute(
            f"SELECT nik, status, starts_on, covered_until FROM rm_enrollments "  # noqa: S608
            f"WHERE {where} AND nik IN (SELECT nik FROM rm_enrollments WHERE {where} "
            "GROUP BY nik HAVING COUNT(*) > 1)", [*params, *params]).fetchall():
        repeated.setdefault(nik, []).append((status, date.fromisoformat(a),
                                             date.fromisoformat(b)))
    counts = []
    for first, last in periods:
        count = sum(n for status, a, b, n in groups if covers(status, a, b, first, last))
        for spans in repeated.values():
            overlapping = sum(covers(status, a, b, first, last) for status, a, b in spans)
            count -= max(overlapping - 1, 0)
        counts.append(count)
    return counts


def agreement_docs(cur: Cursor, agreement_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not agreement_ids:
        return {}
    marks = ", ".join("?" for _ in agreement_ids)
    rows = cur.execute(f"SELECT id, doc FROM rm_agreements WHERE id IN ({marks})",  # noqa: S608
                       list(agreement_ids)).fetchall()
    return {r[0]: json.loads(r[1]) for r in rows}


def children(cur: Cursor, agreement_id: str) -> list[dict[str, Any]]:
    rows = cur.execute("SELECT doc FROM rm_agreements WHERE parent_id = ? ORDER BY seq",
                       (agreement_id,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def billed_agreements(cur: Cursor, scope: str | list[str] | None) -> list[dict[str, Any]]:
    """Agreements in the region (a province holds its regencies), or in any of the
    scopes (None: anywhere), with a ledger line."""
    scopes = [scope] if isinstance(scope, str) else scope
    clause, params = region_clause("a.region_code", scopes) if scopes is not None else (
        "1 = 1", [])
    rows = cur.execute(
        "SELECT a.doc FROM rm_agreements a WHERE " + clause +  # noqa: S608
        " AND EXISTS (SELECT 1 FROM rm_ledger_lines l WHERE l.agreement_id = a.id) "
        "ORDER BY a.agreement_number", params).fetchall()
    return [json.loads(r[0]) for r in rows]


def billed_after_death(cur: Cursor, scopes: list[str] | None) -> list[tuple[Any, ...]]:
    """(nik, agreement_id, agreement_number, month, died_on, invoice_number, amount_idr,
    workers) of each worker an invoice billed for a month that began after the
    DECEASED disenrollment's day: the worker counted as the invoice was issued (the
    coverage versions current when it was recorded), the death as known now."""
    where, params = "1 = 1", list[str]()
    if scopes is not None:
        where, params = region_clause("a.region_code", scopes)
    # From the dead, who are few, to their enrollments and the invoices of those
    # agreements: CROSS JOIN keeps that order on SQLite (PostgreSQL plans it alike).
    return cur.execute(
        "SELECT e.nik, l.agreement_id, a.agreement_number, l.month, w.deceased_on, "  # noqa: S608
        "l.invoice_number, l.amount_idr, l.workers "
        "FROM rm_workers w CROSS JOIN rm_enrollments e CROSS JOIN rm_ledger_lines l "
        "CROSS JOIN rm_agreements a "
        "WHERE w.deceased_on IS NOT NULL AND e.nik = w.nik "
        "AND l.agreement_id = e.agreement_id AND a.id = l.agreement_id "
        "AND l.kind = 'invoice' AND w.deceased_on < l.month || '-01' "
        "AND e.valid_from <= l.recorded_at "
        "AND (e.valid_to IS NULL OR e.valid_to > l.recorded_at) "
        f"AND {rules_sql.covers_month('e', 'l.month')} "
        f"AND {where} ORDER BY l.position, e.nik", params).fetchall()


def agreements_in_month(cur: Cursor, first: date, last: date) -> list[tuple[str, str]]:
    """(id, agreement_number) of every agreement with a term that has a day in the month."""
    return [(r[0], r[1]) for r in cur.execute(
        "SELECT DISTINCT a.id, a.agreement_number, a.seq FROM rm_agreements a "
        "JOIN rm_agreement_terms t ON t.agreement_id = a.id "
        "WHERE t.starts_on <= ? AND ? <= t.ends_on ORDER BY a.seq",
        (last.isoformat(), first.isoformat())).fetchall()]
