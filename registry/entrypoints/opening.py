"""Opening the registry for a command, with errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import click

from registry.bootstrap import Registry
from registry.config import ConfigurationError, Settings
from registry.domain.errors import RegistryError
from registry.store import serving
from registry.store.keyring import PrivacyKeyError
from registry.store.serving import StoreInUse


@contextmanager
def opened(marked: bool = True) -> Iterator[Registry]:
    """The registry named by the environment, with errors a person can act on.

    `marked`: holding the store's mark, as a server does, for as long as it is open:
    the master key is in memory, so no rotation may run meanwhile (store/serving.py).
    """
    try:
        settings = Settings.from_env()
        with (serving.serving(settings.database) if marked else nullcontext(),
              _opened(settings) as registry):
            yield registry
    except (ConfigurationError, StoreInUse) as e:
        raise click.ClickException(str(e)) from None


@contextmanager
def _opened(settings: Settings) -> Iterator[Registry]:
    try:
        registry = Registry.open(settings)
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
