"""What the time-travel tests share: a database for the copy, the command, whole-database dumps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from registry.bootstrap import Registry
from registry.config import Database, Settings
from registry.entrypoints.cli import main
from tests.databases import POSTGRES_URL, postgres_schema_url


@pytest.fixture
def copy_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """Where a test's copy goes: a new database of the source's engine."""
    if database_url.startswith("sqlite"):
        (tmp_path / "copy").mkdir()
        yield f"sqlite:///{tmp_path}/copy/copy.db"
    else:
        yield from postgres_schema_url()


def replay(source_url: str, *args: str) -> Any:
    """`registry replay ARGS` with REGISTRY_DATABASE_URL naming the source."""
    return CliRunner().invoke(main, ["replay", *args], env={"REGISTRY_DATABASE_URL": source_url})


def open_copy(url: str) -> Registry:
    return Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": url}))


def exists(url: str) -> bool:
    """Whether anything was made where the URL points (a file, a schema)."""
    database = Database.from_url(url)
    if database.engine == "sqlite":
        return Path(database.path).exists()
    with psycopg.connect(Database.from_url(POSTGRES_URL).conninfo()) as conn:
        return conn.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s",
                            (database.schema,)).fetchone() is not None


def read_model_rows(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model's tables, brought up to the head, in a stable order."""
    registry.projections.catch_up()
    return {table: dump(registry, table)
            for projection in registry.projections.projections
            for table, _columns, _key in projection.shapes()}


def everything(registry: Registry) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the registry's database (or schema), with the
    access records this process holds back written first."""
    registry.access.flush()
    with registry.store.transaction() as cur:
        if registry.store.engine == "sqlite":
            names = [r[0] for r in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        else:
            names = [r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()").fetchall()]
    return {name: dump(registry, name) for name in sorted(names)}


def dump(registry: Registry, table: str) -> list[tuple[Any, ...]]:
    with registry.store.transaction() as cur:
        rows = cur.execute(f"SELECT * FROM {table}").fetchall()  # noqa: S608
    return sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                   for row in rows), key=repr)
