"""The contribution ledger on both engines: invoices, payments, statements, concurrency."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from projections import ledger_views
from registry.domain.context import Context
from registry.service.ledger import Ledgers, RowRefused, StatementRow
from tests.builders import CTX, enroll_worker, sign_labusel_pks

RATE = 16_800


@pytest.fixture
def billed(registry):
    """The Labuhanbatu Selatan PKS with two workers, October and November billed."""
    agreement_id = sign_labusel_pks(registry)
    for i in (1, 2):
        enroll_worker(registry, agreement_id, i)
    desk = Ledgers(registry.app)
    for month in ("2022-10", "2022-11"):
        desk.invoice(CTX, agreement_id, month, ledger_views.billable(registry.projections))
    return agreement_id, desk


def test_two_concurrent_payments_never_allocate_the_same_month_twice(registry, billed):
    agreement_id, desk = billed
    answers, start = [], threading.Barrier(4)

    def pay(n: int) -> None:
        start.wait()
        answers.append(desk.pay(Context(f"teller-{n}"), agreement_id, amount_idr=2 * RATE,
                                paid_on=date(2022, 11, 1), reference=f"VA-{n}"))

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Two months of 2 x Rp 16,800: two payments settle one each, the other two are credit.
    allocated = sorted(a["month"] for p in answers for a in p.allocations)
    assert allocated == ["2022-10", "2022-11"]
    assert sum(p.credit_idr for p in answers) == 2 * 2 * RATE
    ledger = ledger_views.agreement_ledger(registry.projections, agreement_id, first="2022-10",
                                           last="2022-11", on=date(2022, 12, 1))
    assert [m["paid_idr"] for m in ledger["months"]] == [2 * RATE, 2 * RATE]
    assert ledger["credit_idr"] == 4 * RATE


def test_a_statement_is_recorded_whole_once_and_a_bad_row_refuses_it(registry, billed):
    agreement_id, desk = billed
    rows = [StatementRow(2, "PKS-LABUSEL-2022", "SP2D/10/2022", 2 * RATE, date(2022, 10, 12)),
            StatementRow(3, "PKS-NOWHERE", "SP2D/11/2022", 5, date(2022, 10, 12)),
            StatementRow(4, "PKS-LABUSEL-2022", "SP2D/12/2022", RATE, date(2022, 11, 12))]
    bad = [*rows, StatementRow(5, "PKS-LABUSEL-2022", "SP2D/13/2022", 0, date(2022, 11, 12))]
    head = registry.app.head_position()
    with pytest.raises(RowRefused, match="line 5") as refused:
        desk.import_statement(CTX, bad)
    assert refused.value.errors == {"line 5": "amount_not_positive"}
    assert registry.app.head_position() == head  # nothing was written
    found, _ = desk.import_statement(CTX, rows)
    assert [r.status for r in found] == ["recorded", "unmatched", "recorded"]
    again, _ = desk.import_statement(CTX, rows)
    assert [r.status for r in again] == ["already_recorded", "unmatched", "already_recorded"]
    months = ledger_views.agreement_ledger(registry.projections, agreement_id, first="2022-10",
                                           last="2022-11", on=date(2022, 12, 1))["months"]
    assert [(m["paid_idr"], m["status"]) for m in months] == [
        (2 * RATE, "paid"), (RATE, "partial")]
