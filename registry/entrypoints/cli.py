"""The `registry` command line."""

from __future__ import annotations

import csv
import getpass
import logging
import secrets
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from registry.config import ConfigurationError
from registry.domain.context import Context
from registry.domain.dates import utc_iso
from registry.domain.token import ROLES
from registry.entrypoints import agreements_cli, corrections_cli, log_commands
from registry.entrypoints.opening import opened
from registry.service.enrollments import RowResult
from registry.store import files
from registry.store.tokens import LIFETIME


@click.group()
def main() -> None:
    """Event-sourced registry of JKK/JKM protection for vulnerable workers.

    Configure with REGISTRY_DATABASE_URL (default sqlite:///registry.db).
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    files.keep_private()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--read-only", is_flag=True,
              help="Refuse every write (405 read_only); reads and the pages work. Also "
                   "REGISTRY_READ_ONLY=1. A copy made by `replay --into` is always read-only.")
def serve(host: str, port: int, workers: int, read_only: bool) -> None:
    """Run the HTTP API under gunicorn, and the projection process."""
    from registry.entrypoints.serve import serve as run

    try:
        run(host, port, workers, read_only=read_only)
    except ConfigurationError as e:
        raise click.ClickException(str(e)) from None


@main.group()
def tokens() -> None:
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Shown as the actor on every event it writes.")
@click.option("--region", "regions", multiple=True,
              help="Region scope, e.g. 12 or 12.75; repeat for several. None: everywhere.")
@click.option("--expires-in", "days", default=LIFETIME.days, show_default=True,
              type=click.IntRange(1, 3650), metavar="DAYS",
              help="Days until the token stops working (401 token_expired).")
def tokens_create(role: str, name: str, regions: tuple[str, ...], days: int) -> None:
    """Create a token; it is printed once, as the last line."""
    with opened() as registry:
        token = registry.tokens.create(name, role, list(regions), timedelta(days=days),
                                       ctx=_cli_context())
    scope = ", ".join(regions) if regions else "all regions"
    click.echo(f"created {role} token {name!r} for {scope}, expiring in {days} days; "
               "store it now, it is not kept:", err=True)
    click.echo(token)


@tokens.command("list")
def tokens_list() -> None:
    """List tokens (never the tokens themselves), with their expiry."""
    with opened() as registry:
        rows = registry.tokens.list()
    if not rows:
        click.echo("no tokens; create one with: registry tokens create --role admin --name NAME")
        return
    now = utc_iso(datetime.now(UTC))
    click.echo("name\trole\tregions\tcreated_at\texpires_at\tstate")
    for row in rows:
        scope = ",".join(row["regions"]) or "*"
        expires = row["expires_at"] or "never (made before tokens expired)"
        click.echo(f"{row['name']}\t{row['role']}\t{scope}\t{row['created_at']}\t{expires}\t"
                   f"{_token_state(row, now)}")


def _token_state(row: dict[str, Any], now: str) -> str:
    if row["problem"]:
        return f"REFUSED: {row['problem']}"
    if row["revoked_at"]:
        return f"revoked {row['revoked_at']}"
    if row["expires_at"] and row["expires_at"] <= now:
        return "expired"
    return "active"


@tokens.command("revoke")
@click.argument("name")
@click.option("--reason", help="Recorded on the TokenRevoked event.")
def tokens_revoke(name: str, reason: str | None) -> None:
    """Revoke the token NAME: it stops working at once."""
    with opened() as registry:
        if not registry.tokens.revoke(name, _cli_context(), reason):
            raise click.ClickException(f"no active token named {name!r}")
    click.echo(f"revoked {name}")


def _cli_context() -> Context:
    return Context(actor=f"cli:{getpass.getuser()}")


@main.command()
def demo() -> None:
    """Load the seed scenarios with generated workers; print an admin token."""
    from registry.entrypoints import demo as scenarios

    with opened() as registry:
        if scenarios.already_loaded(registry.app):
            click.echo("the demo is already loaded here; creating a fresh admin token", err=True)
        else:
            with click.progressbar(length=9900, label="loading the seed scenarios",
                                   file=sys.stderr) as bar:
                scenarios.load(registry.app, lambda _step, n: bar.update(n))
            registry.projections.catch_up()
        name = f"demo-admin-{secrets.token_hex(3)}"
        token = registry.tokens.create(name, "admin", [], ctx=_cli_context())
    click.echo(DEMO_HINTS.format(port=8000), err=True)
    click.echo(token)


DEMO_HINTS = """
Loaded: Kota Binjai MOU (5,000 workers), Kota Medan MOU with 4 OPD PKS,
Kabupaten Labuhanbatu Selatan PKS (2,000 workers, Oct-Dec 2022, renewed for 2023),
Kota Serang PKS (election and mosque officers). Start the API (registry serve), then:

  TOKEN=<the last line below>
  curl -s -H "Authorization: Bearer $TOKEN" "localhost:{port}/api/v1/agreements?region_code=12"
  curl -s -H "Authorization: Bearer $TOKEN" "localhost:{port}/api/v1/regions/12.75/coverage?on=2026-01-15"
  # Labuhanbatu Selatan: what the regency owed for Oct-Dec 2022 (Rp 100,800,000)
  ID=$(curl -s -H "Authorization: Bearer $TOKEN" "localhost:{port}/api/v1/agreements?region_code=12.22" \\
       | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
  curl -s -H "Authorization: Bearer $TOKEN" "localhost:{port}/api/v1/agreements/$ID/contributions?from=2022-10&to=2022-12"

Admin token (shown once):"""


@main.command()
@click.argument("agreement_id", type=click.UUID)
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--actor", default=lambda: f"cli:{getpass.getuser()}", show_default="cli:$USER",
              help="Recorded as the actor on every event.")
@click.option("--chunk", default=1000, show_default=True, type=click.IntRange(1, 50_000),
              help="Rows written per transaction.")
def enroll(agreement_id: UUID, csv_file: Path, actor: str, chunk: int) -> None:
    """Enroll the workers of CSV_FILE (nik,name,birth_date,sex,occupation,address,starts_on).

    Rows that break a rule are skipped and written, with the reason, to
    FILE.rejected.csv next to the input; the exit code is 1 if any row was.
    """
    from api.batch_rows import BadBatch, csv_rows, validated

    try:
        rows = csv_rows(csv_file.read_bytes())
    except BadBatch as e:
        raise click.ClickException(f"{csv_file}: {e}") from None
    ctx = Context(actor=actor)
    rejected: list[RowResult] = []
    enrolled = 0
    with opened() as registry:
        registry.app.get_agreement(agreement_id)
        with click.progressbar(length=len(rows), label=f"enrolling {len(rows)} rows",
                               file=sys.stderr) as bar:
            for start in range(0, len(rows), chunk):
                valid, shape_rejects = validated(rows[start:start + chunk], first_row=start)
                outcome = registry.app.enroll_workers(ctx, agreement_id, valid, atomic=False)
                enrolled += outcome.count("enrolled")
                rejected += shape_rejects + [r for r in outcome.results if r.status == "rejected"]
                bar.update(min(chunk, len(rows) - start))
    click.echo(f"enrolled {enrolled}, rejected {len(rejected)} of {len(rows)} rows")
    if rejected:
        report = csv_file.with_name(csv_file.stem + ".rejected.csv")
        _write_rejected(report, rows, rejected)
        click.echo(f"rejected rows, with the reason, are in {report}", err=True)
        sys.exit(1)


def _write_rejected(report: Path, rows: list[dict[str, str]], rejected: list[RowResult]) -> None:
    from api.batch_rows import CSV_HEADER
    from registry.csvcells import escaped

    with files.open_private(report, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(escaped(["row", *CSV_HEADER, "code", "error"]))
        for result in sorted(rejected, key=lambda r: r.row):
            row = rows[result.row]
            error = result.error
            writer.writerow(escaped([result.row, *(row.get(c, "") for c in CSV_HEADER),
                                     error.code if error else "", error.detail if error else ""]))


@main.command()
@click.option("--expect-head", metavar="POSITION:HASH",
              help="A head printed by an earlier verify: fail unless the log still has it.")
@click.option("--read-models", is_flag=True,
              help="Also build every read model again from the log and compare it with the "
                   "live one, row by row (takes as long as `registry replay`).")
def verify(expect_head: str | None, read_models: bool) -> None:
    """Check the hash chain over the whole log and the tokens against it (and, with
    --read-models, the read models). Exit 0 intact, 1 if anything is not."""
    from projections import check as read_model_check
    from registry.audit import integrity
    from registry.store import chain

    try:
        expected = chain.parse_head(expect_head) if expect_head else None
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--expect-head") from None
    with opened() as registry:
        if not read_models:
            found = integrity.audit(registry, expected)
        else:
            with click.progressbar(length=max(read_model_check.work(registry.projections), 1),
                                   label="building the read models again",
                                   file=sys.stderr) as bar:
                found = integrity.audit(registry, expected, read_models=True,
                                        progress=bar.update)
    _say_chain(found.chain)
    log_commands.say_tree(found.tree)
    for problem in found.token_problems:
        click.echo(f"TOKEN {problem['name']!r}: {problem['problem']}", err=True)
    if found.read_models is not None:
        _say_read_models(found.read_models)
    if not found.ok:
        sys.exit(1)


def _say_chain(result: Any) -> None:
    if result.ok:
        click.echo(f"intact: {result.checked} events checked; "
                   f"head {result.head_position}:{result.head_hash}")
        return
    where = (f"first bad position {result.first_bad_position}: "
             if result.first_bad_position is not None else "")
    click.echo(f"TAMPERED: {where}{result.problem} ({result.checked} events checked)", err=True)


def _say_read_models(report: Any) -> None:
    if report.ok:
        click.echo(f"read models: as the log gives them ({report.rows} rows in "
                   f"{report.tables} tables compared)")
        return
    click.echo(f"READ MODELS DIFFER from the log: {report.differing_rows} rows in all "
               f"(of {report.rows} compared); the first {report.shown_rows}:", err=True)
    for difference in report.differences:
        click.echo(f"  {difference.describe()}", err=True)
    click.echo("`registry replay` builds them again from the log (look first at who "
               "changed them)", err=True)


@main.command()
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here instead of standard output.")
def export(out_path: Path | None) -> None:
    """Write the whole log as NDJSON (positions, metadata, hashes)."""
    from registry.audit import transfer

    with opened() as registry:
        total = registry.app.head_position()
        if out_path is None:
            count = transfer.export(registry.app, registry.store, sys.stdout)
        else:
            partial = out_path.with_name(out_path.name + ".partial")
            try:
                with files.open_private(partial, "w", encoding="utf-8") as out, click.progressbar(
                        length=total, label="exporting", file=sys.stderr) as bar:
                    count = transfer.export(registry.app, registry.store, out, bar.update)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(out_path)
    click.echo(f"exported {count} events", err=True)


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(file: Path) -> None:
    """Load an export into an empty store of either engine, then rebuild read models."""
    from projections.jobs import RebuildFailed
    from projections.rebuild import Rebuild
    from registry.audit import transfer

    with opened() as registry:
        events, head_position, head_hash = transfer.check_file(str(file))
        with click.progressbar(length=events, label="importing", file=sys.stderr) as bar:
            transfer.import_file(registry.app, registry.store, str(file), bar.update)
        rebuild = Rebuild(registry.projections)
        with click.progressbar(length=max(rebuild.remaining(), 1),
                               label="building read models", file=sys.stderr) as bar:
            try:
                rebuild.run(bar.update)
            except RebuildFailed as e:
                raise click.ClickException(
                    f"{e}; the events are imported: `registry replay` builds the read models"
                ) from None
    click.echo(f"imported {events} events; head {head_position}:{head_hash}")


@main.command()
@click.option("--projection", "names", multiple=True, metavar="NAME",
              help="Rebuild only this read model (repeatable): agreements, coverage, history.")
@click.option("--jobs", type=click.IntRange(1, 8), default=1, show_default=True,
              help="Processes that share the work: 2 is faster where two cores are free "
                   "(a log of fewer than about 50,000 events is rebuilt in one).")
@click.option("--until", type=click.IntRange(min=1), metavar="POSITION",
              help="With --into: a copy of the registry as it was at this position of the log.")
@click.option("--known-at", metavar="T",
              help="With --into: a copy as it was known at T, an ISO instant with its zone, "
                   "or a date (the end of that day in WIB).")
@click.option("--into", metavar="DATABASE_URL",
              help="Build the copy here (a new SQLite file or PostgreSQL database/schema), "
                   "read-only, for investigations; the source is only read.")
def replay(names: tuple[str, ...], jobs: int, until: int | None, known_at: str | None,
           into: str | None) -> None:
    """Rebuild read models from the log beside the live ones, then switch.

    The API keeps answering meanwhile. If interrupted, run it again: it resumes.
    With --until or --known-at and --into: build a separate, read-only copy of
    the log up to that moment and of every read model as of then, to serve
    with `registry serve` (docs/operations.md, "Time travel for investigations").
    """
    from projections.jobs import RebuildFailed
    from projections.rebuild import Rebuild
    from registry.entrypoints import rebuild_share

    if until is not None or known_at is not None or into is not None:
        from registry.entrypoints.timetravel import replay_into

        replay_into(until, known_at, into, jobs, names)
        return
    with opened() as registry:
        try:
            job = Rebuild(registry.projections, names)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="--projection") from None
        with click.progressbar(length=max(job.remaining(), 1), label="replaying",
                               file=sys.stderr) as bar:
            try:
                job.run(bar.update, share=rebuild_share.shared_by(jobs))
            except RebuildFailed as e:
                raise click.ClickException(f"{e}; run `registry replay` again to resume") from None
        rebuilt = ", ".join(p.name for p in job.projections)
    click.echo(f"rebuilt {rebuilt}")


@main.command()
@click.option("--quick", is_flag=True,
              help="Smaller runs (large log of 100,000 events, not 1,000,000): about 2 minutes.")
@click.option("--engine", type=click.Choice(["sqlite", "postgresql"]), default="sqlite",
              show_default=True)
@click.option("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test",
              show_default=True, envvar="REGISTRY_BENCH_POSTGRES_URL",
              help="With --engine postgresql: the database to make (and drop) schemas in.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the figures to this file as JSON.")
@click.option("--check", is_flag=True, help="Exit 1 if a figure misses its target.")
def bench(quick: bool, engine: str, postgres_url: str, json_path: Path | None,
          check: bool) -> None:
    """Measure the registry beside the bare library and /health, on fresh stores.

    Starts its own `registry serve` (2 workers) on a temporary store; never
    touches REGISTRY_DATABASE_URL's database. Targets are for SQLite.
    """
    from registry.entrypoints import bench as benchmark

    try:
        figures = benchmark.run(quick=quick, engine=engine, postgres_url=postgres_url,
                                say=lambda m: click.echo(f"... {m}", err=True))
    except benchmark.BenchError as e:
        raise click.ClickException(str(e)) from None
    click.echo(benchmark.table(figures))
    if json_path is not None:
        benchmark.write_json(figures, json_path)
    if check and not figures["targets_met"]:
        sys.exit(1)


main.add_command(log_commands.log)
main.add_command(log_commands.witness)
main.add_command(corrections_cli.corrections)
main.add_command(agreements_cli.agreements)
