"""Configuration from the environment.

`REGISTRY_DATABASE_URL`: `sqlite:///registry.db` (default, a file in the
working directory; `sqlite:////abs/path.db` for an absolute path) or
`postgresql://user:pass@host:5432/db`. A `?schema=NAME` query parameter on a
PostgreSQL URL keeps the registry's tables in that schema.
`REGISTRY_LOG_LEVEL` (default INFO), `REGISTRY_MAX_BODY_BYTES` (default 32 MiB),
`REGISTRY_PROBE_LIMIT` (default 200: refusals about workers outside its regions a
token may collect in an hour before it gets 429).
`REGISTRY_IDEMPOTENCY_TTL_HOURS` (default 24: how long an answer is kept for
retries with its `Idempotency-Key`).
`REGISTRY_PREVIEW_TTL_MINUTES` (default 60: how long a corrections preview can be
applied).
`REGISTRY_LOG_ORIGIN` (default `localhost/registry`: the name the verifiable log's
checkpoints carry) and `REGISTRY_SIGNING_KEY_FILE` (default `registry.key` beside
the SQLite file, else in the working folder: the Ed25519 key that signs them).
`REGISTRY_READ_ONLY` (default 0; 1 is what `registry serve --read-only` sets): nothing
is written to the log; the API refuses every write with `405 read_only`.
`REGISTRY_LAPSE_AFTER_MONTHS` (default 3: consecutive unpaid months after which coverage
lapses) and `REGISTRY_HOLIDAYS_FILE` (public holidays, one ISO date a line, that move a
contribution's due date to the next working day): docs/contributions.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///registry.db"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_PROBE_LIMIT = 200
DEFAULT_IDEMPOTENCY_TTL_HOURS = 24
DEFAULT_LOG_ORIGIN = "localhost/registry"
SIGNING_KEY_NAME = "registry.key"
MASTER_KEY_NAME = "registry.master.key"
MAX_IDEMPOTENCY_TTL_HOURS = 24 * 366
DEFAULT_UI_SESSION_MINUTES = 8 * 60  # a working day
MAX_UI_SESSION_MINUTES = 7 * 24 * 60
DEFAULT_PREVIEW_TTL_MINUTES = 60
MAX_PREVIEW_TTL_MINUTES = 7 * 24 * 60
DEFAULT_LAPSE_AFTER_MONTHS = 3


class ConfigurationError(ValueError):
    """The configuration cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Database:
    """Where the event store and the read models live."""

    engine: str  # "sqlite" or "postgresql"
    path: str = ""  # sqlite
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    password: str = ""
    dbname: str = ""
    schema: str = "public"

    @classmethod
    def from_url(cls, url: str) -> Database:
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            path = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
            if not path or parts.netloc:
                raise ConfigurationError(
                    f"bad SQLite URL {url!r}: use sqlite:///relative.db or sqlite:////abs/path.db")
            return cls(engine="sqlite", path=path)
        if parts.scheme in ("postgresql", "postgres"):
            schema = parse_qs(parts.query).get("schema", ["public"])[0]
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", schema):
                raise ConfigurationError(f"bad schema name {schema!r} in the database URL")
            dbname = unquote(parts.path.lstrip("/"))
            if not dbname:
                raise ConfigurationError(f"the PostgreSQL URL {url!r} names no database")
            return cls(
                engine="postgresql", host=parts.hostname or "127.0.0.1",
                port=parts.port or 5432, user=unquote(parts.username or "postgres"),
                password=unquote(parts.password or ""), dbname=dbname, schema=schema,
            )
        raise ConfigurationError(
            f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://...")

    def eventsourcing_env(self, create_tables: bool = True,
                          connect_timeout: int = 10) -> dict[str, str]:
        """The settings of the `eventsourcing` library's recorders."""
        common = {"CREATE_TABLE": "y" if create_tables else "n"}
        if self.engine == "sqlite":
            return {
                **common,
                "PERSISTENCE_MODULE": "registry.store.sqlitestore:RegistrySQLiteFactory",
                "SQLITE_DBNAME": self.path,
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        return {
            **common,
            "PERSISTENCE_MODULE": "registry.store.pgstore:RegistryPostgresFactory",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_CONNECT_TIMEOUT": str(connect_timeout),
        }

    def conninfo(self) -> str:
        """A libpq connection string for PostgreSQL."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=self.host, port=self.port, user=self.user,
                             password=self.password or None, dbname=self.dbname,
                             connect_timeout=10)


@dataclass(frozen=True)
class Settings:
    database: Database
    log_level: str = "INFO"
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    probe_limit: int = DEFAULT_PROBE_LIMIT
    idempotency_ttl_hours: int = DEFAULT_IDEMPOTENCY_TTL_HOURS
    log_origin: str = DEFAULT_LOG_ORIGIN
    signing_key_file: str = ""  # empty: the default place (`signing_key_path`)
    master_key_file: str = ""  # empty: the default place (`master_key_path`)
    ui_session_minutes: int = DEFAULT_UI_SESSION_MINUTES
    read_only: bool = False
    preview_ttl_minutes: int = DEFAULT_PREVIEW_TTL_MINUTES
    # A PostgreSQL streaming replica the read endpoints read from (None: the primary).
    read_database: Database | None = None
    # The contributions ledger (docs/contributions.md).
    lapse_after_months: int = DEFAULT_LAPSE_AFTER_MONTHS
    holidays_file: str = ""

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_ttl_hours)

    @property
    def preview_ttl(self) -> timedelta:
        return timedelta(minutes=self.preview_ttl_minutes)

    @property
    def signing_key_path(self) -> str:
        """The log's signing key: as configured, else beside the SQLite file, else here."""
        if self.signing_key_file:
            return self.signing_key_file
        if self.database.engine == "sqlite" and not self.database.path.startswith(
                ("file:", ":memory:")):
            return os.path.join(os.path.dirname(self.database.path), SIGNING_KEY_NAME)
        return SIGNING_KEY_NAME

    @property
    def master_key_path(self) -> str:
        """The key that wraps the keys of personal data: as configured, else beside the
        SQLite file, else beside the signing key (docs/privacy.md)."""
        if self.master_key_file:
            return self.master_key_file
        if self.database.engine == "sqlite" and not self.database.path.startswith(
                ("file:", ":memory:")):
            return os.path.join(os.path.dirname(self.database.path), MASTER_KEY_NAME)
        return os.path.join(os.path.dirname(self.signing_key_path), MASTER_KEY_NAME)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        url = env.get("REGISTRY_DATABASE_URL") or DEFAULT_DATABASE_URL
        raw_limit = env.get("REGISTRY_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
        # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
        if not re.fullmatch(r"[0-9]{4,15}", raw_limit) or int(raw_limit) < 1024:
            raise ConfigurationError(
                "REGISTRY_MAX_BODY_BYTES must be a whole number of bytes >= 1024, "
                f"got {raw_limit!r}")
        raw_probes = env.get("REGISTRY_PROBE_LIMIT") or str(DEFAULT_PROBE_LIMIT)
        if not raw_probes.isdecimal() or not raw_probes.isascii():
            raise ConfigurationError(
                f"REGISTRY_PROBE_LIMIT must be a whole number, got {raw_probes!r}")
        return cls(
            database=Database.from_url(url),
            log_level=(env.get("REGISTRY_LOG_LEVEL") or "INFO").upper(),
            max_body_bytes=int(raw_limit),
            probe_limit=int(raw_probes),
            idempotency_ttl_hours=_whole(env, "REGISTRY_IDEMPOTENCY_TTL_HOURS",
                                         DEFAULT_IDEMPOTENCY_TTL_HOURS,
                                         MAX_IDEMPOTENCY_TTL_HOURS, "hours"),
            log_origin=_log_origin(env),
            signing_key_file=env.get("REGISTRY_SIGNING_KEY_FILE") or "",
            master_key_file=env.get("REGISTRY_MASTER_KEY_FILE") or "",
            ui_session_minutes=_whole(env, "REGISTRY_UI_SESSION_MINUTES",
                                      DEFAULT_UI_SESSION_MINUTES, MAX_UI_SESSION_MINUTES,
                                      "minutes"),
            read_only=_read_only(env),
            preview_ttl_minutes=_whole(env, "REGISTRY_PREVIEW_TTL_MINUTES",
                                       DEFAULT_PREVIEW_TTL_MINUTES, MAX_PREVIEW_TTL_MINUTES,
                                       "minutes"),
            read_database=_read_database(env, url),
            lapse_after_months=_whole(env, "REGISTRY_LAPSE_AFTER_MONTHS",
                                      DEFAULT_LAPSE_AFTER_MONTHS, 120, "months"),
            holidays_file=_holidays_file(env),
        )


def _log_origin(env: Mapping[str, str]) -> str:
    origin = env.get("REGISTRY_LOG_ORIGIN") or DEFAULT_LOG_ORIGIN
    # A note's key name: no spaces, no "+", nothing a signed note cannot carry.
    if not re.fullmatch(r"[^\s+\x00-\x1f\x7f]{1,200}", origin):
        raise ConfigurationError(
            f"REGISTRY_LOG_ORIGIN must be a name without spaces or '+', such as "
            f"registry.example.go.id/log, got {origin!r}")
    return origin


def _whole(env: Mapping[str, str], name: str, default: int, most: int, unit: str) -> int:
    """A setting that is a whole number of `unit` from 1 to `most`."""
    raw = env.get(name) or str(default)
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
        raise ConfigurationError(
            f"{name} must be a whole number of {unit} from 1 to {most}, got {raw!r}")
    return int(raw)


def _read_only(env: Mapping[str, str]) -> bool:
    raw = (env.get("REGISTRY_READ_ONLY") or "0").strip().lower()
    if raw not in ("0", "1", "false", "true", "no", "yes"):
        raise ConfigurationError(f"REGISTRY_READ_ONLY must be 1 or 0, got {raw!r}")
    return raw in ("1", "true", "yes")


# Reads from a replica.

def _read_database(env: Mapping[str, str], primary_url: str) -> Database | None:
    url = env.get("REGISTRY_READ_DATABASE_URL")
    if not url:
        return None
    replica = Database.from_url(url)
    primary = Database.from_url(primary_url)
    if replica.engine != "postgresql" or primary.engine != "postgresql":
        raise ConfigurationError(
            "REGISTRY_READ_DATABASE_URL names a PostgreSQL streaming replica of the "
            "PostgreSQL database in REGISTRY_DATABASE_URL; both must be postgresql:// URLs")
    if replica.schema != primary.schema:
        raise ConfigurationError(
            f"REGISTRY_READ_DATABASE_URL reads schema {replica.schema!r} but the registry "
            f"writes schema {primary.schema!r}: a replica holds the same schema")
    return replica
# The contributions ledger.

def _holidays_file(env: Mapping[str, str]) -> str:
    holidays = env.get("REGISTRY_HOLIDAYS_FILE") or ""
    if holidays and not os.path.isfile(holidays):
        raise ConfigurationError(f"REGISTRY_HOLIDAYS_FILE names no file: {holidays!r}")
    return holidays
