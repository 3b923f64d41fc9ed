"""The PostgreSQL server the tests use, and a schema of its own for each test.

PostgreSQL comes from REGISTRY_TEST_POSTGRES_URL (default: the local server
CI provides). Where the server cannot be reached the PostgreSQL cases are
skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from registry.config import Database

POSTGRES_URL = os.environ.get(
    "REGISTRY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_postgres_ok: bool | None = None


def postgres_reachable() -> bool:
    global _postgres_ok
    if _postgres_ok is None:
        try:
            with psycopg.connect(Database.from_url(POSTGRES_URL).conninfo(), connect_timeout=3):
                _postgres_ok = True
        except psycopg.Error:
            _postgres_ok = False
    return _postgres_ok


def postgres_schema_url() -> Iterator[str]:
    """The URL of a new, empty schema; dropped with everything in it when resumed."""
    if not postgres_reachable():
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    schema = "t_" + uuid.uuid4().hex[:16]
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(Database.from_url(POSTGRES_URL).conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
