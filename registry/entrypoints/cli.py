"""The `registry` command line."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from registry.config import ConfigurationError
from registry.domain.dates import utc_iso
from registry.domain.token import ROLES
from registry.entrypoints import (
    agreements_cli,
    corrections_cli,
    demo_cli,
    enroll_cli,
    keys_cli,
    ledger_cli,
    log_commands,
)
from registry.entrypoints.addresses import SERVE_HOST, SERVE_PORT
from registry.entrypoints.console import cli_context
from registry.entrypoints.opening import opened
from registry.store import files
from registry.store.keyring import PrivacyKeyError
from registry.store.serving import StoreInUse
from registry.store.tokens import LIFETIME


@click.group()
def main() -> None:
    """Event-sourced registry of JKK/JKM protection for vulnerable workers.

    Configure with REGISTRY_DATABASE_URL (default sqlite:///registry.db).
    """
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    files.keep_private()


@main.command()
@click.option("--host", default=SERVE_HOST, show_default=True)
@click.option("--port", default=SERVE_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--read-only", is_flag=True,
              help="Refuse every write (405 read_only); reads and the pages work. Also "
                   "REGISTRY_READ_ONLY=1. A copy made by `replay --into` is always read-only.")
def serve(host: str, port: int, workers: int, read_only: bool) -> None:
    """Run the HTTP API under gunicorn, and the projection process."""
    from registry.entrypoints.serve import serve as run

    try:
        run(host, port, workers, read_only=read_only)
    except (ConfigurationError, PrivacyKeyError, StoreInUse) as e:
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
                                       ctx=cli_context())
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
        if not registry.tokens.revoke(name, cli_context(), reason):
            raise click.ClickException(f"no active token named {name!r}")
    click.echo(f"revoked {name}")


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
    from registry.store.keyring import events_in_clear

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
        clear = events_in_clear(registry.app.keyring) if registry.app.keyring else 0
        access = registry.access.verify()
    _say_chain(found.chain)
    _say_access(access)
    log_commands.say_tree(found.tree)
    click.echo(f"personal data: {clear} events hold it in clear" + (
        " (written before sealing began: docs/privacy.md)" if clear else ""))
    for problem in found.token_problems:
        click.echo(f"TOKEN {problem['name']!r}: {problem['problem']}", err=True)
    if found.read_models is not None:
        _say_read_models(found.read_models)
    if not (found.ok and access.ok):
        sys.exit(1)


def _say_access(report: Any) -> None:
    if report.ok:
        click.echo(f"access records: intact, {report.checked} checked")
        return
    if report.first_bad_id is None:
        click.echo(f"ACCESS RECORDS {report.problem}", err=True)
        return
    click.echo(f"ACCESS RECORDS TAMPERED: first bad record {report.first_bad_id}: "
               f"{report.problem} ({report.checked} checked before it)", err=True)


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
                job.run(bar.update, share=rebuild_share.shared_by(jobs, registry.settings))
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
@click.option("--scale", "scale_events", type=click.IntRange(min=20_000), default=None,
              help="Instead: fill a store with this many events shaped like a national "
                   "rollout (514 regions) and time reads, replay and verify at that size "
                   "(10000000 with --engine postgresql: about 1.5 hours).")
@click.option("--keep", is_flag=True,
              help="With --scale: keep the store afterwards (its URL is printed).")
def bench(quick: bool, engine: str, postgres_url: str, json_path: Path | None,
          check: bool, scale_events: int | None, keep: bool) -> None:
    """Measure the registry beside the bare library and /health, on fresh stores.

    Starts its own `registry serve` (2 workers) on a temporary store; never
    touches REGISTRY_DATABASE_URL's database. Targets are for SQLite.
    """
    from registry.entrypoints import bench as benchmark

    try:
        say = lambda m: click.echo(f"... {m}", err=True)  # noqa: E731
        figures = (benchmark.run(quick=quick, engine=engine, postgres_url=postgres_url, say=say)
                   if scale_events is None else
                   benchmark.national_scale(scale_events, engine=engine,
                                            postgres_url=postgres_url, keep=keep, say=say))
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
main.add_command(demo_cli.demo)
main.add_command(enroll_cli.enroll)
main.add_command(ledger_cli.invoice)
main.add_command(ledger_cli.payments)
main.add_command(keys_cli.keys)
