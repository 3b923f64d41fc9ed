"""`registry keys rotate`: a new master key, every data key wrapped again under it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from registry.config import ConfigurationError, Settings
from registry.entrypoints.opening import opened
from registry.store import serving
from registry.store.keyring import make_master_key, read_master_key
from registry.store.serving import StoreInUse


@click.group()
def keys() -> None:
    """The master key that wraps the keys of personal data (docs/privacy.md)."""


@keys.command()
def rotate() -> None:
    """Wrap every worker's data key (and the blind-index key) under a new master key,
    in one transaction, without touching an event. Refused while `registry serve` or
    another command has the store open (it keeps the old key in memory): stop it
    first. The old key file is kept beside the new one, as `…retired-<time>`, for the
    backups taken under it; destroy it when they expire."""
    try:
        settings = Settings.from_env()
        with serving.alone(settings.database):
            _rotate(Path(settings.master_key_path))
    except (StoreInUse, ConfigurationError) as e:
        raise click.ClickException(str(e)) from None


def _rotate(path: Path) -> None:
    fresh = path.with_name(path.name + ".new")
    if fresh.exists():
        raise click.ClickException(
            f"{fresh} is there already: an earlier rotation stopped half way. If `registry "
            "verify` opens the store with it, move it to the key's place; else delete it")
    with opened(marked=False) as registry:  # it holds the mark alone
        keyring = registry.app.keyring
        if keyring is None:
            raise click.ClickException("this registry keeps no personal data keys")
        make_master_key(fresh)
        try:
            count = keyring.rotate(read_master_key(fresh))
        except BaseException:
            fresh.unlink(missing_ok=True)
            raise
    retired = path.with_name(f"{path.name}.retired-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    os.replace(path, retired)
    os.replace(fresh, path)
    click.echo(f"rotated: {count} data keys wrapped under the new master key in {path}; "
               f"the old one is {retired}: keep it only as long as backups taken before now")
