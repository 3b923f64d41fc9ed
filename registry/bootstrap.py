"""The composition root: the registry's parts, built from settings.

Build it once per process, after any fork: SQLite connections and
PostgreSQL pools do not survive `fork()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from projections.runner import ProjectedRoster, ProjectionRunner
from registry.application import RegistryApplication
from registry.config import Settings
from registry.db import SqlStore, ensure_schema
from registry.idempotency import IdempotencyStore
from registry.tokens import TokenStore


@dataclass
class Registry:
    settings: Settings
    app: RegistryApplication
    store: SqlStore
    projections: ProjectionRunner
    tokens: TokenStore
    idempotency: IdempotencyStore

    @classmethod
    def open(cls, settings: Settings | None = None) -> Registry:
        settings = settings or Settings.from_env()
        ensure_schema(settings.database)
        store = SqlStore(settings.database)
        app = RegistryApplication(settings.database)
        runner = ProjectionRunner(app, store)
        app.roster = ProjectedRoster(runner)
        registry = cls(settings, app, store, runner, TokenStore(store), IdempotencyStore(store))
        registry.tokens.create_table()
        registry.idempotency.create_table()
        registry.projections.create_tables()
        return registry

    def close(self) -> None:
        self.store.close()
        self.app.close()
