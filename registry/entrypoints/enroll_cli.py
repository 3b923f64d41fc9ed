"""`registry enroll AGREEMENT FILE`: a CSV or an Excel workbook of workers, enrolled.

The same intake as `POST /agreements/{id}/enrollments/batch`
(registry/service/intake, api/batch_rows.py), written a chunk at a time,
each chunk's valid rows saved (`atomic=False`). Safe to run again on the same
file: the rows enrolled by an earlier run are `already_enrolled`.
"""

from __future__ import annotations

import csv
import getpass
import sys
from pathlib import Path
from typing import Any

import click

from registry.domain.context import Context
from registry.domain.errors import NotFound, RegistryError
from registry.entrypoints.console import agreement_id
from registry.entrypoints.opening import opened
from registry.service.enrollments import RowResult
from registry.store import files


@click.command()
@click.argument("agreement")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default=lambda: f"cli:{getpass.getuser()}", show_default="cli:$USER",
              help="Recorded as the actor on every event.")
@click.option("--chunk", default=1000, show_default=True, type=click.IntRange(1, 50_000),
              help="Rows written per transaction.")
@click.option("--reason", help="Why (a backdated file should say): recorded on every event.")
def enroll(agreement: str, file: Path, actor: str, chunk: int, reason: str | None) -> None:
    """Enroll the workers of FILE, a CSV or an Excel workbook (.xlsx, its first sheet),
    under AGREEMENT, its id or its number (e.g. PKS/SRG/2024/02).

    Columns nik,name,birth_date,sex,occupation,address,starts_on or NIK, Nama,
    Tanggal Lahir, Jenis Kelamin, Pekerjaan, Alamat, Tanggal Mulai (docs/intake.md).
    Rows that break a rule are skipped and written, with the reason, to
    FILE.rejected.csv next to the input; the exit code is 1 if any row was. Rows
    already enrolled there with the same details (a second run) are no error.
    """
    from api.batch_rows import file_rows, validated
    from registry.service.intake import looks_like_workbook

    data = file.read_bytes()
    workbook = looks_like_workbook(data, file.name)
    try:
        sheet = file_rows(data, workbook)
    except RegistryError as e:
        raise click.ClickException(f"{file}: {e.detail}") from None
    for note in sheet.notes:
        click.echo(f"{file}: {note}", err=True)
    rows = sheet.rows
    ctx = Context(actor=actor, reason=reason)
    rejected: list[RowResult] = []
    counts = {"enrolled": 0, "already_enrolled": 0}
    with opened() as registry:
        target = agreement_id(agreement)
        try:
            registry.app.get_agreement(target)
        except NotFound:
            raise click.ClickException(f"no agreement with the id or number {agreement!r} "
                                       "(a number as signed, e.g. PKS/SRG/2024/02)") from None
        with click.progressbar(length=len(rows), label=f"enrolling {len(rows)} rows",
                               file=sys.stderr) as bar:
            for start in range(0, len(rows), chunk):
                valid, shape_rejects = validated(rows[start:start + chunk], first_row=start,
                                                 sheet=sheet)
                outcome = registry.app.enroll_workers(ctx, target, valid, atomic=False)
                for status in counts:
                    counts[status] += outcome.count(status)
                rejected += shape_rejects + [r for r in outcome.results if r.status == "rejected"]
                bar.update(min(chunk, len(rows) - start))
    click.echo(f"enrolled {counts['enrolled']}, already enrolled {counts['already_enrolled']}, "
               f"rejected {len(rejected)} of {len(rows)} rows")
    if rejected:
        report = file.with_name(file.stem + ".rejected.csv")
        _write_rejected(report, rows, sheet.lines, rejected)
        click.echo(f"rejected rows, with the reason, are in {report}", err=True)
        sys.exit(1)


def _write_rejected(report: Path, rows: list[dict[str, Any]], lines: list[int],
                    rejected: list[RowResult]) -> None:
    from api.batch_rows import CSV_HEADER
    from registry.csvcells import escaped

    with files.open_private(report, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(escaped(["row", "line", *CSV_HEADER, "code", "error"]))
        for result in sorted(rejected, key=lambda r: r.row):
            row = rows[result.row]
            error = result.error
            # The NIK as the file had it, even one a spreadsheet mangled.
            cells = {**row, "nik": result.nik or row.get("nik", "")}
            writer.writerow(escaped([result.row, lines[result.row],
                                     *(cells.get(c, "") for c in CSV_HEADER),
                                     error.code if error else "", error.detail if error else ""]))
