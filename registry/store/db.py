"""SQL access for the registry's own tables (read models, tokens).

The event store itself belongs to the `eventsourcing` library's recorders;
this module gives the read side one code path over both engines. SQL is
written once with `?` placeholders and translated for psycopg.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from typing import Any

from registry.config import Database
from registry.store import files, writelock

COPY_FROM = 50  # below this many rows an INSERT is one round trip to COPY's two
SQLITE_PARAMS = 30_000  # under SQLite's limit of 32,766 bound parameters


def log_position(engine: str) -> str:
    """The event store's column that holds an event's position in the log."""
    return "rowid" if engine == "sqlite" else "notification_id"


class Cursor:
    """A thin cursor that speaks `?` placeholders on both engines."""

    def __init__(self, raw: Any, engine: str) -> None:
        self._raw = raw
        self._engine = engine

    def _sql(self, sql: str) -> str:
        return sql if self._engine == "sqlite" else sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self._raw.execute(self._sql(sql), tuple(params))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._raw.executemany(self._sql(sql), [tuple(r) for r in rows])

    @property
    def engine(self) -> str:
        return self._engine

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows in few statements, the fastest way each engine offers.

        PostgreSQL takes rows through COPY about ten times faster than through
        multi-row INSERTs (which psycopg binds slowly); SQLite is fastest with
        multi-row INSERTs of a few hundred rows.
        """
        if not rows:
            return
        names = ", ".join(columns)
        if self._engine == "postgresql" and len(rows) >= COPY_FROM:
            # Through _sql, where a subclass may rename tables, like every statement.
            with self._raw.copy(self._sql(f"COPY {table} ({names}) FROM STDIN")) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        one = "(" + ", ".join("?" for _ in columns) + ")"
        chunk = max(1, min(500, SQLITE_PARAMS // len(columns)))
        for start in range(0, len(rows), chunk):
            part = rows[start:start + chunk]
            self.execute(f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 - fixed names
                         + ", ".join([one] * len(part)), tuple(chain.from_iterable(part)))

    def columns(self, table: str) -> list[str]:
        """The names of the table's columns; none if there is no such table."""
        if self._engine == "sqlite":
            self.execute("SELECT name FROM pragma_table_info(?)", (table,))
        else:
            # The catalogue, not information_schema.columns: the view took a few
            # milliseconds a table, and opening a registry asks about twenty.
            self.execute("SELECT a.attname FROM pg_attribute a "
                         "JOIN pg_class c ON c.oid = a.attrelid "
                         "JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE n.nspname = current_schema() AND c.relname = ? "
                         "AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                         "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (table,))
        return [row[0] for row in self.fetchall()]

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._raw.fetchone()

    def one(self) -> tuple[Any, ...]:
        """The row of a query that always has one (COUNT, MAX, a PRAGMA, a known key)."""
        row = self._raw.fetchone()
        if row is None:
            raise LookupError("the query found no row")
        return row

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._raw.fetchall())

    @property
    def rowcount(self) -> int:
        return self._raw.rowcount


class SqlStore:
    """Connections to the registry database for everything but the events."""

    def __init__(self, database: Database, *, wait_seconds: float = 30) -> None:
        self.database = database
        self.engine = database.engine
        self._local = threading.local()
        self._pool: Any = None
        if self.engine == "sqlite":
            files.private_sqlite_file(database.path)
            self._write_lock = writelock.for_database(database.path)
        else:
            from psycopg_pool import ConnectionPool

            self._pool = ConnectionPool(
                conninfo=database.conninfo(), min_size=1, max_size=8, open=True,
                # Autocommit: a plain read is one round trip, not BEGIN, query, COMMIT.
                # No JIT: the read models' queries are short, and compiling one
                # (which PostgreSQL starts for any plan it costs high, a province's
                # roll-up say) took longer than running it.
                kwargs={"autocommit": True,
                        "options": f"-c search_path={database.schema} -c jit=off"},
                timeout=wait_seconds,
            )

    def _sqlite(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.database.path, isolation_level=None,
                                   check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, write: bool = False, snapshot: bool = False) -> Iterator[Cursor]:
        """One transaction; a write transaction on SQLite takes the write lock at once.

        On PostgreSQL a read (neither `write` nor `snapshot`) runs each statement
        on its own, as READ COMMITTED would see it inside a transaction anyway;
        `snapshot` opens a real transaction block, for SET TRANSACTION and
        server-side cursors.
        """
        if self.engine == "sqlite":
            if not write:
                yield from self._sqlite_transaction("BEGIN")
                return
            with self._write_lock.held():
                yield from self._sqlite_transaction("BEGIN IMMEDIATE")
            return
        with self._pool.connection() as conn:
            if not (write or snapshot):
                with conn.cursor() as cur:
                    yield Cursor(cur, "postgresql")
                return
            with conn.transaction(), conn.cursor() as cur:
                yield Cursor(cur, "postgresql")

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """One read-only transaction: every query in it sees the store as of one moment."""
        with self.transaction(snapshot=True) as cur:
            if self.engine == "postgresql":
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    def _sqlite_transaction(self, begin: str) -> Iterator[Cursor]:
        conn = self._sqlite()
        conn.execute(begin)
        try:
            yield Cursor(conn.cursor(), "sqlite")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def ping(self) -> bool:
        try:
            with self.transaction() as cur:
                cur.execute("SELECT 1")
                return cur.fetchone() is not None
        except Exception:  # noqa: BLE001 - /health reports, it does not raise
            return False

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._pool is not None:
            self._pool.close()


def ensure_schema(database: Database) -> None:
    """Create the PostgreSQL schema the URL names (the library does not)."""
    if database.engine != "postgresql" or database.schema == "public":
        return
    import psycopg

    with psycopg.connect(database.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{database.schema}"')
