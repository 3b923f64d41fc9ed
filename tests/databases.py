"""The PostgreSQL server the tests use, and a schema of its own for each test.

PostgreSQL comes from REGISTRY_TEST_POSTGRES_URL (default: the local server
CI provides). Where the server cannot be reached the PostgreSQL cases are
skipped, except under CI, where they fail.

Creating a registry's tables on PostgreSQL (a hundred round trips of DDL) took
most of a small test's time, so a test that only opens a registry (`registry`
fixture) may get a schema an earlier test of the same process used: its tables
are emptied (rows deleted, sequences back at their start) and kept only if its
catalogue is exactly that of a newly opened registry, which `Registry.open` then
finds as it would leave a new schema. Every other test
gets a new, empty schema.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from registry.config import Database

POSTGRES_URL = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_postgres_ok: bool | None = None

# Everything in a schema a test could change but not empty: tables and their columns,
# indexes, constraints, sequences, views, types, functions, triggers. The schema's own
# name (in some index names) is written as '%' so that two schemas compare.
_CATALOGUE = """
SELECT replace(d, %(schema)s, '%%') FROM (
  SELECT format('rel %%s %%s', c.relname, c.relkind) AS d FROM pg_class c
   WHERE c.relnamespace = %(oid)s
  UNION ALL
  SELECT format('col %%s.%%s %%s %%s %%s', c.relname, a.attname,
                format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(ad.adbin, ad.adrelid))
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
   WHERE c.relnamespace = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid) FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid WHERE c.relnamespace = %(oid)s
  UNION ALL
  SELECT format('con %%s %%s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
   WHERE connamespace = %(oid)s
  UNION ALL
  SELECT format('seq %%s %%s %%s', seqrelid::regclass, seqstart, seqincrement)
    FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
   WHERE c.relnamespace = %(oid)s
  UNION ALL
  SELECT 'type ' || typname FROM pg_type WHERE typnamespace = %(oid)s
  UNION ALL
  SELECT 'proc ' || proname FROM pg_proc WHERE pronamespace = %(oid)s
  UNION ALL
  SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
   WHERE c.relnamespace = %(oid)s
) AS catalogue (d) ORDER BY 1
"""


def postgres_reachable() -> bool:
    global _postgres_ok
    if _postgres_ok is None:
        try:
            with psycopg.connect(Database.from_url(POSTGRES_URL).conninfo(), connect_timeout=3):
                _postgres_ok = True
        except psycopg.Error:
            _postgres_ok = False
    return _postgres_ok


def _require_postgres() -> None:
    if not postgres_reachable():
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)


def _connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(Database.from_url(POSTGRES_URL).conninfo(), autocommit=True)


def _drop(schema: str) -> None:
    with _connect() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_schema_url() -> Iterator[str]:
    """The URL of a new, empty schema; dropped with everything in it when resumed."""
    _require_postgres()
    schema = "t_" + uuid.uuid4().hex[:16]
    yield f"{POSTGRES_URL}?schema={schema}"
    _drop(schema)


class _Emptied:
    """This process's schemas that a registry was opened in, emptied for the next test."""

    def __init__(self) -> None:
        self.free: list[str] = []
        self.catalogue: list[str] | None = None  # that of a newly opened registry
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def _connection(self) -> psycopg.Connection[tuple[object, ...]]:
        """One connection for the process's emptying: its plans are prepared once."""
        if self._conn is None or self._conn.broken:
            self._conn = _connect()
        return self._conn

    def take(self) -> str:
        if self.catalogue is None:
            self.catalogue = self._opened_catalogue()
        return self.free.pop() if self.free else "t_" + uuid.uuid4().hex[:16]

    def give_back(self, schema: str) -> None:
        """Empty the schema for the next test, or drop it if the test changed its shape."""
        conn = self._connection()
        if self._catalogue(conn, schema) == self.catalogue and self._emptied(conn, schema):
            self.free.append(schema)
        else:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def _emptied(self, conn: psycopg.Connection[tuple[object, ...]], schema: str) -> bool:
        """Delete every row and start the sequences again, as in new tables; DELETE, not
        TRUNCATE: a test's few rows cost less to delete than files to make anew. False
        if something the test left running still holds a table."""
        assert self.catalogue is not None
        tables = [line.split()[1] for line in self.catalogue
                  if line.startswith("rel ") and line.split()[2] in ("r", "p")]
        statements = [f'DELETE FROM "{schema}"."{table}"' for table in tables] + [
            "SELECT setval(seqrelid, seqstart, false) FROM pg_sequence JOIN pg_class "
            f"ON pg_class.oid = seqrelid WHERE relnamespace = '\"{schema}\"'::regnamespace"]
        try:
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '5s'")
                conn.execute("; ".join(statements))
        except psycopg.errors.LockNotAvailable:
            return False
        return True

    @staticmethod
    def _catalogue(conn: psycopg.Connection[tuple[object, ...]], schema: str) -> list[str]:
        found = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s",
                             (schema,)).fetchone()
        if found is None:
            return []
        # By the schema's oid: comparing with a subquery's took it twice as long.
        return [str(row[0]) for row in conn.execute(
            _CATALOGUE, {"schema": schema, "oid": found[0]}, prepare=True).fetchall()]

    def _opened_catalogue(self) -> list[str]:
        from registry.bootstrap import Registry
        from registry.config import Settings

        schema = "t_" + uuid.uuid4().hex[:16]
        with tempfile.TemporaryDirectory() as keys:  # not the working folder's key files
            Registry.open(Settings.from_env({
                "REGISTRY_DATABASE_URL": f"{POSTGRES_URL}?schema={schema}",
                "REGISTRY_SIGNING_KEY_FILE": f"{keys}/registry.key"})).close()
        with _connect() as conn:
            catalogue = self._catalogue(conn, schema)
        _drop(schema)
        return catalogue


_emptied = _Emptied()


def emptied_schema_url() -> Iterator[str]:
    """The URL of a schema for a test that opens a registry in it first: new, or one
    with a newly opened registry's tables, emptied (see above)."""
    _require_postgres()
    schema = _emptied.take()
    yield f"{POSTGRES_URL}?schema={schema}"
    _emptied.give_back(schema)
