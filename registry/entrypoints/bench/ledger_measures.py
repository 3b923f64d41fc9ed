"""The contribution ledger on the large log (`measures.scale`'s: 1,000,000 events, or
100,000 with `--quick`, which the figures' `ledger_log_events` says).

- `ledger_p95_ms`: the ledger of an agreement with 5,000 workers over 24 months,
  every month invoiced and paid, read in process as `GET .../ledger` reads it
  (`ledger_views.agreement_ledger`: catch-up, the roster counted per month, the
  ledger's lines, the rules);
- `invoice_500_s`: `registry invoice --month` issuing a month's invoices for 500
  agreements (each with two workers) at that log.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from projections import ledger_views
from registry.bootstrap import Registry
from registry.domain import ledger as rules
from registry.domain.context import Context
from registry.entrypoints import ledger_cli
from registry.entrypoints.bench import workload
from registry.service.ledger import Ledgers

TARGETS: dict[str, tuple[str, float]] = {
    "ledger_p95_ms": ("<=", 50),
    "invoice_500_s": ("<=", 10),
}
SHOWN = (
    ("ledger_p95_ms", "ledger, 5,000 workers x 24 months, large log: p95 (ms)"),
    ("invoice_500_s", "a month's invoices for 500 agreements, large log (s)"),
    ("ledger_log_events", "  events in that log (1,000,000; 100,000 with --quick)"),
)
FIRST_WORKER = 5_000_000  # NIKs no agreement of the large log has
READS = 60


def _sign(app: Any, ctx: Context, number: str, starts_on: date, ends_on: date,
          quota: int) -> UUID:
    fields = {**workload.agreement(number, quota), "starts_on": starts_on.isoformat(),
              "ends_on": ends_on.isoformat(), "signed_on": starts_on.isoformat()}
    return app.sign_agreement(ctx, **workload.agreement_fields(fields)).agreement.id


def _enroll(app: Any, ctx: Context, agreement_id: UUID, first: int, count: int,
            starts_on: date) -> None:
    requests = [replace(r, starts_on=starts_on)
                for r in workload.enrollment_requests(workload.workers(first, count))]
    workload.enroll(app, ctx, agreement_id, requests)


def ledger(registry: Registry, say: Callable[[str], None]) -> dict[str, Any]:
    app, ctx = registry.app, Context("bench")
    events = app.head_position()
    say(f"ledger: 5,000 workers billed and paid for 24 months, log of {events:,} events")
    agreement_id = _sign(app, ctx, "PKS/BENCH/LEDGER", date(2023, 1, 1), date(2024, 12, 31),
                         5000)
    _enroll(app, ctx, agreement_id, FIRST_WORKER, 5000, date(2023, 1, 1))
    desk, billable = Ledgers(app), ledger_views.billable(registry.projections)
    for month in rules.month_range("2023-01", "2024-12"):
        billed = desk.invoice(ctx, agreement_id, month, billable)
        desk.pay(ctx, agreement_id, amount_idr=billed.amount_idr,
                 paid_on=rules.due_on(month) - timedelta(days=1), reference=f"SP2D/{month}")
    read = ledger_views.agreement_ledger
    for _ in range(5):
        read(registry.projections, agreement_id, first=None, last=None, on=date(2025, 1, 1))
    took = []
    for _ in range(READS):
        began = time.perf_counter()
        read(registry.projections, agreement_id, first=None, last=None, on=date(2025, 1, 1))
        took.append((time.perf_counter() - began) * 1000)
    took.sort()
    say("ledger: 500 agreements of two workers each, then a month's invoices for them")
    for n in range(500):
        signed = _sign(app, ctx, f"PKS/BENCH/INVOICE/{n:03d}", date(2025, 1, 1),
                       date(2025, 12, 31), 10)
        _enroll(app, ctx, signed, FIRST_WORKER + 10_000 + 2 * n, 2, date(2025, 1, 1))
    registry.projections.catch_up()
    began = time.perf_counter()
    rows = ledger_cli.issue(registry, "2025-06")
    invoice_s = time.perf_counter() - began
    if sum(r[4] == "invoiced" for r in rows) != 500:
        raise RuntimeError(f"expected 500 invoices, got {len(rows)} rows")
    return {"ledger_p95_ms": took[int(0.95 * (len(took) - 1))], "invoice_500_s": invoice_s,
            "ledger_log_events": events}
