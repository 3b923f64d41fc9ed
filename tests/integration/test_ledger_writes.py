"""The contribution ledger on both engines: invoices, payments, statements, concurrency."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

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


def test_registry_invoice_then_payments_import_reconciles_and_records_nothing_twice(
        registry, database_url, tmp_path):
    from click.testing import CliRunner

    from registry.entrypoints.cli import main

    agreement_id = sign_labusel_pks(registry)
    enroll_worker(registry, agreement_id, 1)
    env = {"REGISTRY_DATABASE_URL": database_url}

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(main, list(args), env=env)

    issued = invoke("invoice", "--month", "2022-10")
    assert issued.exit_code == 0, issued.output
    assert "PKS-LABUSEL-2022/INV/2022-10/1" in issued.output and "Rp 16,800" in issued.output
    assert "nothing to invoice" in invoke("invoice", "--month", "2022-10",
                                      "--agreement", "PKS-LABUSEL-2022").output
    statement = tmp_path / "rekening.csv"
    statement.write_text("agreement_number,reference,amount_idr,paid_on\n"
                         "PKS-LABUSEL-2022,SP2D/931/2022,20000,2022-10-12\n"
                         "PKS-ELSEWHERE,SP2D/932/2022,5000,2022-10-12\n")
    first = invoke("payments", "import", str(statement))
    assert first.exit_code == 0, first.output
    for expected in ("MATCHED: 1 (1 recorded now, 0 recorded before)",
                     "UNMATCHED REFERENCES (no such agreement; not recorded): 1",
                     "OVERPAID (left as credit): 1", "Rp 3,200"):
        assert expected in first.output, first.output
    head = registry.app.head_position()
    again = invoke("payments", "import", str(statement))
    assert "MATCHED: 1 (0 recorded now, 1 recorded before)" in again.output, again.output
    assert registry.app.head_position() == head
    bad = tmp_path / "bad.csv"
    bad.write_text("agreement_number,reference,amount_idr,paid_on\n"
                   "PKS-LABUSEL-2022,SP2D/933/2022,100,2022-10-12\n"
                   "PKS-LABUSEL-2022,SP2D/934/2022,seratus,2022-10-12\n")
    refused = invoke("payments", "import", str(bad))
    assert refused.exit_code == 1 and "line 3" in refused.output, refused.output
    assert registry.app.head_position() == head


def test_a_worker_enrolled_twice_in_a_month_is_owed_for_once(registry):
    from projections import ledger_queries
    from tests.builders import nik

    agreement_id = sign_labusel_pks(registry)
    enroll_worker(registry, agreement_id, 1)
    registry.app.disenroll_worker(CTX, agreement_id, nik(1), ends_on=date(2022, 10, 10),
                                  reason_code="MOVED_AWAY")
    enroll_worker(registry, agreement_id, 1, starts_on=date(2022, 10, 20))
    enroll_worker(registry, agreement_id, 2, starts_on=date(2022, 11, 5))
    registry.projections.catch_up()
    months = [(date(2022, 10, 1), date(2022, 10, 31)), (date(2022, 11, 1), date(2022, 11, 30))]
    with registry.store.transaction() as cur:
        assert ledger_queries.owed_workers(cur, str(agreement_id), months) == [1, 2]
