"""The ledger read model: each agreement's invoices and payments, line by line.

One row per invoice, per month a payment was allocated to (a reversal adds the
same lines negated) and per payment's credit, with its record time, so that a
ledger can be read as it was known at any instant (`known_at`). What a month's
status is, and a worker's standing, is worked out from these lines by the
domain's rules (registry/domain/ledger.py), never stored.
"""

from __future__ import annotations

from typing import Any

from events import ContributionInvoiced, ContributionPaid, PaymentReversed
from projections.base import Projection, handles
from projections.reader import Fields
from registry.store.db import Cursor

COLUMNS = ("position", "line", "agreement_id", "kind", "month", "amount_idr", "workers",
           "due_on", "paid_on", "reference", "invoice_number", "recorded_at")


class LedgerProjection(Projection):
    name = "ledger"
    rebuild_cost = 0.05
    table_names = ("rm_ledger_lines",)
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_ledger_lines (
            position BIGINT NOT NULL,
            line INTEGER NOT NULL,
            agreement_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            month TEXT NOT NULL,
            amount_idr BIGINT NOT NULL,
            workers INTEGER NOT NULL,
            due_on TEXT,
            paid_on TEXT,
            reference TEXT,
            invoice_number TEXT,
            recorded_at TEXT NOT NULL,
            PRIMARY KEY (position, line))""",
        "CREATE INDEX IF NOT EXISTS rm_ledger_lines_agreement "
        "ON rm_ledger_lines (agreement_id, position)",
    )

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []

    def start_batch(self) -> None:
        self._rows = []

    def end_batch(self, cur: Cursor) -> None:
        cur.insert_rows("rm_ledger_lines", COLUMNS, self._rows)
        self._rows = []

    @handles(ContributionInvoiced)
    def _invoiced(self, e: Fields, cur: Cursor, position: int) -> None:
        self._rows.append((position, 0, e["agreement_id"], "invoice", e["month"],
                           e["amount_idr"], e["workers"], e["due_on"], None, None,
                           e["invoice_number"], e["timestamp"]))

    @handles(ContributionPaid)
    def _paid(self, e: Fields, cur: Cursor, position: int) -> None:
        self._payment(e, position, 1)

    @handles(PaymentReversed)
    def _reversed(self, e: Fields, cur: Cursor, position: int) -> None:
        self._payment(e, position, -1)

    def _payment(self, e: Fields, position: int, sign: int) -> None:
        lines = [("payment", a["month"], a["amount_idr"]) for a in e["allocations"]]
        if e["credit_idr"]:
            lines.append(("credit", "", e["credit_idr"]))
        for line, (kind, month, amount) in enumerate(lines):
            self._rows.append((position, line, e["agreement_id"], kind, month, sign * amount, 0,
                               None, e["paid_on"], e["reference"], None, e["timestamp"]))
