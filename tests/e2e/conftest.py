"""A real `registry serve` (gunicorn, 2 workers, projection process) per test, or per
module where its tests keep out of each other's data."""

from __future__ import annotations

import compileall
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.databases import postgres_schema_url
from tests.e2e.servers import Server, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def bytecode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The project's bytecode, compiled once for every process these tests start.

    Where PYTHONDONTWRITEBYTECODE is set, each `registry` process compiled the
    project's sources again: a third of a command's start, a quarter of a server's.
    Compiled into this run's temporary folder (shared by the xdist processes), not
    the source tree, and read from there through PYTHONPYCACHEPREFIX.
    """
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        yield  # the processes keep their own __pycache__ beside the sources
        return
    prefix = str(tmp_path_factory.getbasetemp().parent / "bytecode")
    previous, sys.pycache_prefix = sys.pycache_prefix, prefix
    try:
        for package in ("api", "events", "projections", "registry"):
            compileall.compile_dir(ROOT / package, quiet=1)
        compileall.compile_file(ROOT / "wsgi.py", quiet=1)
    finally:
        sys.pycache_prefix = previous
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPYCACHEPREFIX", prefix)
        yield


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
