"""`registry demo`'s invoices and payments (docs/contributions.md).

Labuhanbatu Selatan billed and paid Oct-Dec 2022 in full (Rp 100,800,000, each
month by its SP2D); Binjai paid every month on time but one; one Medan agency's
PKS left its last three billed months unpaid, so its workers are `lapsed`; and
Serang was billed and paid for a month after one of its workers had died, which
the registry learned only later: the finding `/audit/paid-after-death` shows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from projections import ledger_views
from registry.domain import ledger
from registry.domain.context import Context
from registry.domain.dates import today
from registry.service.ledger import Ledgers


def _months(app: Any, agreement_id: UUID, last: str | None = None) -> list[str]:
    """The agreement's months from its first term's start to its last term's end (or
    `last`), each already due."""
    terms = app.get_agreement(agreement_id).terms
    end = ledger.month_of(terms[-1].ends_on)
    months = ledger.month_range(ledger.month_of(terms[0].starts_on), min(end, last or end))
    return [m for m in months if ledger.due_on(m) < today()]


def record_ledger(app: Any, ids: dict[str, UUID], ctx: Context) -> None:
    """Invoice and pay the demo's agreements as the module docstring says."""
    desk, billable = Ledgers(app), ledger_views.billable(app.roster.runner)

    def bill_and_pay(key: str, month: str, paid_on: date, reference: str) -> None:
        billed = desk.invoice(ctx, ids[key], month, billable)
        desk.pay(ctx, ids[key], amount_idr=billed.amount_idr, paid_on=paid_on,
                 reference=reference, months=[month])

    # Labuhanbatu Selatan: 3 x 2,000 x Rp 16,800, each month paid by its SP2D before the 15th.
    for n, month in enumerate(("2022-10", "2022-11", "2022-12"), start=1):
        bill_and_pay("labusel", month, ledger.due_on(month) - timedelta(days=3),
                     f"SP2D/{931 + n}/LS/BPKAD-LBS/{month[:4]}")
    # Binjai: every month on time, but March 2026, paid three weeks late.
    for n, month in enumerate(_months(app, ids["binjai"]), start=1):
        late = month == "2026-03"
        paid_on = ledger.due_on(month) + timedelta(days=21 if late else -2)
        bill_and_pay("binjai", month, min(paid_on, today()), f"SP2D/{n:03d}/BPKAD-BJ/{month}")
    # Medan: the first agency's PKS billed every month, its last three left unpaid.
    opd = _months(app, ids["medan-opd-1"])
    for n, month in enumerate(opd, start=1):
        if month in opd[-3:]:
            desk.invoice(ctx, ids["medan-opd-1"], month, billable)
        else:
            bill_and_pay("medan-opd-1", month, ledger.due_on(month) - timedelta(days=1),
                         f"VA-8801{n:04d}")
    # Serang: June 2024 billed and paid for a woman who had died on 10 May; her death
    # reached the registry afterwards.
    for n, month in enumerate(_months(app, ids["serang"], "2024-06"), start=1):
        bill_and_pay("serang", month, ledger.due_on(month) - timedelta(days=5),
                     f"SP2D/{n:03d}/BPKAD-SRG/{month}")
    enrolled, _ = ledger_views.enrollments_of(app.roster.runner, ids["serang"])
    woman = next(nik for nik in enrolled if int(nik[6:8]) > 40)
    app.disenroll_worker(ctx, ids["serang"], woman, ends_on=date(2024, 5, 10),
                         reason_code="DECEASED", reason="Akta kematian diterima Juli 2024")
