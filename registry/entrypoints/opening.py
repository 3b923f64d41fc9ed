"""Opening the registry for a command, with errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from registry.bootstrap import Registry
from registry.config import ConfigurationError, Settings
from registry.domain.errors import RegistryError
from registry.store.keyring import PrivacyKeyError


@contextmanager
def opened() -> Iterator[Registry]:
    """The registry named by the environment, with errors a person can act on."""
    try:
        registry = Registry.open(Settings.from_env())
    except (ConfigurationError, PrivacyKeyError) as e:
        raise click.ClickException(str(e)) from None
    except Exception as e:  # noqa: BLE001 - a database we cannot open
        raise click.ClickException(f"cannot open the registry database: {e}") from None
    try:
        yield registry
    except RegistryError as e:
        raise click.ClickException(e.detail) from None
    finally:
        registry.close()
