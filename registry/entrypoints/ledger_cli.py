"""`registry invoice` and `registry payments import`: the contribution ledger from the shell.

The same use cases as the API (registry/service/ledger.py), run on the registry
directly as `cli:$USER`.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from registry.domain.agreement import Agreement
from registry.domain.contribution_ledger import NothingToInvoice
from registry.domain.dates import today
from registry.domain.errors import NotFound
from registry.domain.ledger import MonthOutsideTerms, parse_month
from registry.entrypoints.console import agreement_id, cli_context, grid, rupiah
from registry.entrypoints.opening import opened

COLUMNS = ("agreement_number", "reference", "amount_idr", "paid_on")


def issue(registry: Any, month: str, agreement: str | None = None) -> list[tuple[str, ...]]:
    """Invoice the month for one agreement or every one with a term in it: a row of
    (agreement, invoice number, workers, amount, what happened) for each."""
    from projections import ledger_views
    from registry.service.ledger import Ledgers

    month = parse_month(month)
    ledgers, ctx = Ledgers(registry.app), cli_context()
    billable = ledger_views.billable(registry.projections)
    if agreement is not None:
        targets = [(agreement_id(agreement), agreement)]
    else:
        targets = [(UUID(i), n) for i, n in ledger_views.agreements_in_month(
            registry.projections, month)]
    rows: list[tuple[str, ...]] = []
    for target, number in targets:
        try:
            found = ledgers.invoice(ctx, target, month, billable)
        except NothingToInvoice:
            rows.append((number, "", "", "", "nothing to invoice"))
            continue
        except MonthOutsideTerms:
            if agreement is not None:
                raise
            continue
        except NotFound:
            raise click.ClickException(f"no agreement {number}") from None
        rows.append((number, found.invoice_number, f"{found.workers:,}",
                     rupiah(found.amount_idr), "adjustment" if found.adjustment else "invoiced"))
    return rows


@click.command("invoice")
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to bill.")
@click.option("--agreement", metavar="A", help="One agreement (id or number); default: all.")
def invoice(month: str, agreement: str | None) -> None:
    """Issue the month's invoices: what each agreement's roster owes for it, or only the
    difference from what was billed before."""
    with opened() as registry:
        rows = issue(registry, month, agreement)
    click.echo("\n".join(grid(("agreement", "invoice", "workers", "amount", ""), rows)))
    issued = [r for r in rows if r[4] != "nothing to invoice"]
    click.echo(f"{len(issued)} invoices issued for {month}")


@click.group()
def payments() -> None:
    """Payments: bank statements recorded against agreements."""


def read_statement(path: Path) -> list[Any]:
    """The statement's rows; a bad row refuses the file, naming its line."""
    from registry.service.ledger import StatementRow

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    if sorted(header) != sorted(COLUMNS):
        raise click.ClickException(f"{path}: the columns must be {', '.join(COLUMNS)}; "
                                   f"found {', '.join(header) or 'none'}; nothing was recorded")
    rows = []
    for record in reader:
        line = reader.line_num
        cells = {k.strip().lower(): (v or "").strip() for k, v in record.items() if k}
        try:
            amount = int(cells["amount_idr"].replace(".", "").replace(",", ""))
            paid_on = date.fromisoformat(cells["paid_on"])
        except ValueError:
            raise click.ClickException(
                f"{path}, line {line}: amount_idr must be whole rupiah and paid_on a date "
                f"YYYY-MM-DD; nothing was recorded") from None
        if not cells["agreement_number"] or not cells["reference"]:
            raise click.ClickException(f"{path}, line {line}: agreement_number and reference "
                                       "must not be empty; nothing was recorded")
        rows.append(StatementRow(line, cells["agreement_number"], cells["reference"], amount,
                                 paid_on))
    return rows


def reconcile(registry: Any, rows: list[Any]) -> tuple[list[str], int]:
    """Record the statement (all or nothing) and the reconciliation as lines of text."""
    from projections import ledger_views
    from registry.service.ledger import Ledgers

    found, position = Ledgers(registry.app).import_statement(cli_context(), rows)
    matched = [r for r in found if r.status != "unmatched"]
    out = [f"MATCHED: {len(matched)} "
           f"({sum(r.status == 'recorded' for r in found)} recorded now, "
           f"{sum(r.status == 'already_recorded' for r in found)} recorded before)"]
    out += grid(("line", "agreement", "reference", "amount", "status", "months"),
                 [(str(r.row.line), r.row.agreement_number, r.row.reference,
                   rupiah(r.row.amount_idr), r.status,
                   ", ".join(str(a["month"]) for a in r.allocations) or "-") for r in matched])
    unmatched = [r for r in found if r.status == "unmatched"]
    out += ["", f"UNMATCHED REFERENCES (no such agreement; not recorded): {len(unmatched)}"]
    out += grid(("line", "agreement", "reference", "amount"),
                 [(str(r.row.line), r.row.agreement_number, r.row.reference,
                   rupiah(r.row.amount_idr)) for r in unmatched])
    over = [r for r in matched if r.credit_idr > 0]
    out += ["", f"OVERPAID (left as credit): {len(over)}"]
    out += grid(("agreement", "reference", "credit"),
                 [(r.row.agreement_number, r.row.reference, rupiah(r.credit_idr))
                  for r in over])
    numbers = {str(Agreement.create_id(r.row.agreement_number)): r.row.agreement_number
               for r in matched}
    under = ledger_views.overdue_months(registry.projections, list(numbers), today())
    out += ["", f"UNDERPAID MONTHS (billed, not settled): {len(under)}"]
    out += grid(("agreement", "month", "balance"),
                 [(numbers[a], m, rupiah(b)) for a, m, b in under])
    return out, position


@payments.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_payments(file: Path) -> None:
    """Record a bank statement (CSV: agreement_number, reference, amount_idr, paid_on):
    every payment or, if a row is refused, none. Importing it again records nothing twice."""
    rows = read_statement(file)
    with opened() as registry:
        lines, position = reconcile(registry, rows)
    click.echo("\n".join(lines))
    click.echo(f"log position {position}")
