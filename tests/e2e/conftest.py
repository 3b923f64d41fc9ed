"""A real `registry serve` (gunicorn, 2 workers, projection process) per test, or per
module where its tests keep out of each other's data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.databases import postgres_schema_url
from tests.e2e.servers import Server, start_server, stop_server


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(database_url, tmp_path)
    yield started
    stop_server(started)


@pytest.fixture
def admin_headers(server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {server.token()}"}


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def module_server(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per engine for a module whose tests each sign agreements and enroll
    workers of their own (numbers and NIKs no other test of it uses): starting one took
    most of such a test's time."""
    folder = tmp_path_factory.mktemp("e2e")
    schema = postgres_schema_url() if request.param == "postgresql" else None
    started = start_server(next(schema) if schema else f"sqlite:///{folder}/registry.db",
                           folder)
    yield started
    stop_server(started)
    if schema:
        next(schema, None)  # drops the schema


@pytest.fixture(scope="module")
def module_admin_headers(module_server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {module_server.token()}"}
