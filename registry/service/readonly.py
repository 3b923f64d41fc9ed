"""The application of a read-only registry: every save is refused.

A copy for investigations (registry/store/copies.py) and a registry opened with
`REGISTRY_READ_ONLY=1` (what `registry serve --read-only` sets) read as any
other, but nothing is written to their log, whoever asks: the API refuses
writes before they reach here (`api/readonly.py`), and this stops the rest
(a command such as `registry enroll` pointed at a copy, a route added later).
"""

from __future__ import annotations

from typing import Any

from registry.domain.errors import RegistryError
from registry.service.application import RegistryApplication


class ReadOnly(RegistryError):
    code = "read_only"


class ReadOnlyApplication(RegistryApplication):
    # The library names the tables after the class unless told: these are the registry's.
    name = RegistryApplication.name
    # Why, for the refusal: "this database is a copy ...", or the setting.
    why = "this registry is read-only (REGISTRY_READ_ONLY=1)"

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        raise ReadOnly(f"{self.why}: nothing is written to it")
