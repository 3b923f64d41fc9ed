"""The composition root: the registry's parts, built from settings.

Build it once per process, after any fork: SQLite connections and
PostgreSQL pools do not survive `fork()`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from projections.rebuild import Rebuild
from projections.replica import ReplicaReads
from projections.runner import ProjectedRoster, ProjectionRunner
from registry.audit import keys
from registry.audit.log import VerifiableLog
from registry.config import Settings
from registry.service.application import RegistryApplication
from registry.service.ledger import policy_of
from registry.service.readonly import ReadOnlyApplication
from registry.store import copies
from registry.store.access import AccessLog
from registry.store.db import SqlStore, ensure_schema
from registry.store.idempotency import IdempotencyStore
from registry.store.keyring import Keyring
from registry.store.tokens import TokenStore

log = logging.getLogger("registry.projections")

# Set by `registry serve` for the processes it starts, once the tables exist.
TABLES_READY = "REGISTRY_TABLES_READY"


@dataclass
class Registry:
    settings: Settings
    app: RegistryApplication
    store: SqlStore
    projections: ProjectionRunner
    tokens: TokenStore
    idempotency: IdempotencyStore
    access: AccessLog
    log: VerifiableLog
    # Time travel: what this database is a copy of (None for a registry of its own).
    copy: copies.CopyMark | None = None
    # The read models of a streaming replica (`REGISTRY_READ_DATABASE_URL`), if any.
    replica: ReplicaReads | None = None

    @property
    def reads(self) -> ProjectionRunner:
        """What the read endpoints read from: the replica's read models, or the primary's."""
        return self.replica or self.projections

    @property
    def read_only(self) -> bool:
        """Nothing is written to the log: a copy, or `REGISTRY_READ_ONLY=1`."""
        return self.copy is not None or self.settings.read_only

    @classmethod
    def open(cls, settings: Settings | None = None,
             create_tables: bool | None = None) -> Registry:
        """Open the registry; create its tables unless `registry serve` already did.

        Processes started together (gunicorn workers, the projection process)
        must not create tables at once: PostgreSQL refuses concurrent DDL.
        """
        settings = settings or Settings.from_env()
        if create_tables is None:
            create_tables = os.environ.get(TABLES_READY) != "1"
        if create_tables:
            ensure_schema(settings.database)
        store = SqlStore(settings.database)
        copy = copies.mark_of(store)
        app = _application(settings, copy, create_tables)
        try:
            keyring = Keyring.open(store, settings.master_key_path,
                                   create=create_tables and copy is None
                                   and not settings.read_only)
            if keyring is not None:
                app.use_keyring(keyring)
        except BaseException:
            app.close()
            store.close()
            raise
        app.ledger_policy = policy_of(settings)
        runner = ProjectionRunner(app, store)
        app.roster = ProjectedRoster(runner)
        # A copy's tokens are recorded beside its log, never in it (registry/store/copies.py).
        token_log = copies.CopyTokens(store) if copy is not None else app
        registry = cls(settings, app, store, runner, TokenStore(store, token_log),
                       IdempotencyStore(store), AccessLog(store, _signing_key_bytes(settings)),
                       VerifiableLog(app, store, settings), copy, _replica(settings, runner))
        if create_tables:
            registry.tokens.create_table()
            registry.idempotency.create_table()
            registry.access.create_table()
            registry.log.create_tables()
            outdated = registry.projections.create_tables()
            if outdated:
                try:
                    rebuild_outdated(registry.projections, outdated)
                except BaseException:
                    registry.close()
                    raise
        return registry

    def close(self) -> None:
        try:
            self.access.close()  # the access records held back, while the store is open
        finally:
            if self.replica is not None:
                self.replica.replica.close()
                if self.replica.replica_app is not None:
                    self.replica.replica_app.close()
            self.store.close()
            self.app.close()


def _signing_key_bytes(settings: Settings) -> Callable[[bool], bytes]:
    """The log's signing key as raw bytes, read when first needed (and made, if `create`
    and there is none): what the access records' chain key is derived from
    (registry/store/access.py)."""
    return lambda create: keys.signing_key(settings.signing_key_path, create=create).private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _replica(settings: Settings, runner: ProjectionRunner) -> ReplicaReads | None:
    if settings.read_database is None:
        return None
    # A replica that does not answer within a second is skipped for the primary.
    replica = SqlStore(settings.read_database, wait_seconds=1)
    app = ReadOnlyApplication(settings.read_database, create_tables=False, connect_timeout=1)
    if runner.app.keyring is not None:
        # The replica holds the same keys (wrapped), streamed from the primary.
        app.use_keyring(Keyring(replica, *runner.app.keyring.secrets()))
    return ReplicaReads(runner, replica, app)


def _application(settings: Settings, copy: copies.CopyMark | None,
                 create_tables: bool) -> RegistryApplication:
    if copy is None and not settings.read_only:
        return RegistryApplication(settings.database, create_tables=create_tables)
    app = ReadOnlyApplication(settings.database, create_tables=create_tables)
    if copy is not None:
        app.why = f"this database is {copy.describe()}, for investigations"
    return app


def rebuild_outdated(runner: ProjectionRunner, names: list[str]) -> None:
    """Build again, from the log, read models this version of the registry keeps
    in another shape (after an upgrade), before anything reads them. If it is
    interrupted, the next open resumes it."""
    rebuild = Rebuild(runner, names)
    total = rebuild.remaining()
    log.warning("this version keeps read models in a new shape: building %s from the log "
                "(%d events to apply)", ", ".join(names), total)
    began, done, said = time.monotonic(), 0, time.monotonic()

    def progress(applied: int) -> None:
        nonlocal done, said
        done += applied
        if time.monotonic() - said >= 5:
            said = time.monotonic()
            log.info("rebuilding %s: %d of %d events", ", ".join(names), done, total)

    rebuild.run(progress)
    runner.built_again(names)
    log.warning("rebuilt %s in %.1f s", ", ".join(names), time.monotonic() - began)
