"""`registry replay --until POSITION|--known-at T --into DATABASE_URL`: time travel.

Builds, in another database, the registry as it was at one position of the
source's log: its events up to there (`registry/audit/timetravel.py`), then
every read model from them, by `registry replay`'s own rebuild (shadow tables,
resumable, shared by `--jobs` processes). The target is marked as a copy first
(`registry/store/copies.py`), so it is read-only from its first event on, and
`registry serve` on it answers as the source did then. Interrupted, the same
command resumes. The source is only read.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import click

from projections.jobs import RebuildFailed
from projections.rebuild import Rebuild
from registry.audit import integrity
from registry.audit import timetravel as travel
from registry.bootstrap import Registry
from registry.config import ConfigurationError, Database, Settings
from registry.domain.errors import RegistryError
from registry.entrypoints import rebuild_share
from registry.store import copies
from registry.store.chain import Verification
from registry.store.db import ensure_schema


def replay_into(until: int | None, known_at: str | None, into: str | None, jobs: int,
                names: tuple[str, ...]) -> None:
    """Check what was asked, then build the copy; nothing is written before the checks pass."""
    if into is None:
        raise click.UsageError("--until and --known-at build a copy: name its database with "
                               "--into DATABASE_URL (the live read models always follow the "
                               "whole log)")
    if until is not None and known_at is not None:
        raise click.UsageError("give --until or --known-at, not both")
    if until is None and known_at is None:
        raise click.UsageError("--into needs the moment to copy: --until POSITION or "
                               "--known-at T")
    if names:
        raise click.UsageError("--projection does not go with --into: a copy holds every "
                               "read model")
    try:
        target = Database.from_url(into)
    except ConfigurationError as e:
        raise click.BadParameter(str(e), param_hint="--into") from None
    try:
        moment = travel.parse_known_at(known_at) if known_at is not None else None
        settings = Settings.from_env()
    except travel.BadMoment as e:
        raise click.BadParameter(str(e), param_hint=e.option) from None
    except ConfigurationError as e:
        raise click.ClickException(str(e)) from None
    source = settings.database
    if source.engine == "sqlite" and not os.path.exists(source.path):
        raise click.ClickException(f"no registry database at {source.path}: set "
                                   "REGISTRY_DATABASE_URL to the one to copy from")
    try:
        if travel.same_database(source, target):
            raise click.BadParameter("it names the source database itself; a copy goes into "
                                     "another database (or another schema)",
                                     param_hint="--into")
        opened = Registry.open(settings, create_tables=False)
    except click.ClickException:
        raise
    except Exception as e:  # noqa: BLE001 - a database we cannot reach
        raise click.ClickException(f"cannot open a database: {e}") from None
    try:
        opened.app.head_position()
    except Exception as e:  # noqa: BLE001 - no event store there
        opened.close()
        raise click.ClickException(f"{travel.describe(source)} holds no registry to copy "
                                   f"({str(e).splitlines()[0]})") from None
    try:
        try:
            wanted = travel.moment(opened.app, opened.store, until, moment)
        except travel.BadMoment as e:
            raise click.BadParameter(str(e), param_hint=e.option) from None
        # The copy is a store of its own, with a master key of its own where its
        # settings put one by default (beside a SQLite file).
        _build(opened, dataclasses.replace(settings, database=target, master_key_file=""),
               wanted, jobs)
    except RegistryError as e:
        raise click.ClickException(e.detail) from None
    finally:
        opened.close()


def _build(source: Registry, settings: Settings, wanted: travel.Moment, jobs: int) -> None:
    named = travel.describe(source.settings.database)
    into = travel.describe(settings.database)
    try:
        ensure_schema(settings.database)
        probe = Registry.open(settings, create_tables=False)
    except Exception as e:  # noqa: BLE001 - a database we cannot reach
        raise click.ClickException(f"cannot open {into}: {e}") from None
    try:
        state = travel.target_state(probe.app, probe.store, wanted, named)
        if state == "new":
            copies.begin(probe.store, named, wanted.position, wanted.head_hash, wanted.events,
                         wanted.known_at)
    finally:
        probe.close()
    if state == "done":
        click.echo(f"{into} already holds this copy, built", err=True)
        _say_done(into, wanted, None, os.path.abspath(settings.master_key_path))
        return
    if state == "resume":
        click.echo(f"resuming the copy into {into}", err=True)
    target = Registry.open(settings, create_tables=True)
    try:
        with click.progressbar(length=max(wanted.events, 1), label=(
                f"copying the log up to position {wanted.position}"), file=sys.stderr) as bar:
            bar.update(travel.events_in(target.app, target.store))  # by an interrupted run
            travel.copy_events(source.app, source.store, target.app, target.store, wanted,
                               bar.update)
        travel.copy_keys(source, target, settings.master_key_path)
        if any(target.projections.lag().values()):
            rebuild = Rebuild(target.projections)
            with click.progressbar(length=max(rebuild.remaining(), 1),
                                   label="building the read models as of then",
                                   file=sys.stderr) as bar:
                try:
                    rebuild.run(bar.update, share=rebuild_share.shared_by(jobs, target.settings))
                except RebuildFailed as e:
                    raise click.ClickException(
                        f"{e}; run the same command again to resume") from None
        copies.finish(target.store)
        chain = integrity.check(target.app, target.store)
    finally:
        target.close()
    _say_done(into, wanted, chain, os.path.abspath(settings.master_key_path))


def _say_done(into: str, wanted: travel.Moment, chain: Verification | None,
              master_key: str) -> None:
    asked = f" (the log as known at {wanted.known_at.isoformat()})" if wanted.known_at else ""
    click.echo(f"copied the log up to position {wanted.position}{asked}: {wanted.events} "
               f"events, head {wanted.position}:{wanted.head_hash}, and built every read "
               f"model from them, into {into}")
    if chain is not None and not chain.ok:
        # Copied as stored: the source's log does not verify there either.
        click.echo(f"THE COPIED LOG DOES NOT VERIFY (nor does the source's): {chain.problem} "
                   f"(first bad position {chain.first_bad_position})", err=True)
    click.echo(f"""
It is read-only. To browse it:
  export REGISTRY_DATABASE_URL='{into}'   # add the password, if it has one
  export REGISTRY_MASTER_KEY_FILE='{master_key}'   # the copy's own
  registry tokens create --role auditor --name investigator   # kept in the copy only
  registry serve --read-only --port 8001""", err=True)
