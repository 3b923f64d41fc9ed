"""Fixtures shared by every suite: databases on both engines, the app, tokens.

Each test gets a database of its own: a SQLite file in its temporary folder, or
a PostgreSQL schema (tests/databases.py).
"""

from __future__ import annotations

import compileall
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from api.app import bind, create_app
from registry.bootstrap import Registry
from registry.config import Settings
from tests.callers import Caller
from tests.databases import emptied_schema_url, postgres_schema_url

DB = "registry.db"
PACKAGES = ("api", "events", "projections", "registry", "wsgi.py")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a process more than there are cores. The end-to-end and browser tests
    spend much of their time waiting on a server or a browser, and with one process a
    core a 2-core machine stood idle for about a third of the run."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """Where Python writes no bytecode (PYTHONDONTWRITEBYTECODE, as on some CI machines),
    every `registry` command and server the tests start compiled the project's modules
    again: compile them once, beside them, as a first import elsewhere would."""
    if sys.flags.dont_write_bytecode and not hasattr(config, "workerinput"):
        root = Path(__file__).resolve().parent.parent
        for package in PACKAGES:
            path = root / package
            if path.is_dir():
                compileall.compile_dir(path, quiet=1)
            else:
                compileall.compile_file(path, quiet=1)



@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/registry.db"


def _schema_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A test that opens a registry first may have an emptied schema (tests/databases.py)."""
    if "registry" in request.fixturenames:
        return emptied_schema_url()
    return postgres_schema_url()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _schema_url(request)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Both engines: every test that uses it runs once on each."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/registry.db"
    else:
        yield from _schema_url(request)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url})


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a registry opened once on SQLite and closed: its files."""
    folder = tmp_path_factory.mktemp("template")
    Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": f"sqlite:///{folder}/{DB}"})
                  ).close()
    return folder


@pytest.fixture
def registry(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Registry]:
    """A registry of the test's own. On SQLite with the default settings, a copy of the
    process's template (tables, indexes, master key): making them anew took most of a
    short test's time. The copy opens as the same registry reopened would."""
    path = Path(settings.database.path) if settings.database.engine == "sqlite" else None
    if (path is not None and path.name == DB and not path.parent.joinpath(DB).exists()
            and settings == Settings.from_env({"REGISTRY_DATABASE_URL": f"sqlite:///{path}"})):
        template = request.getfixturevalue("sqlite_template")
        for name in (DB, "registry.master.key"):
            shutil.copy2(template / name, path.parent / name)
    opened = Registry.open(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def built_app() -> list[Flask]:
    """The one app a test process builds (none until a test asks for one)."""
    return []


@pytest.fixture
def app(registry: Registry, built_app: list[Flask]) -> Flask:
    """The app serving this test's registry. Building one documents every route in
    OpenAPI, which took most of a small test's time: the process's one app is pointed at
    each test's registry instead, as `create_app` points a new one."""
    if built_app:
        bind(built_app[0], registry)
    else:
        built_app.append(create_app(registry=registry))
    return built_app[0]


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def as_role(registry: Registry, client: Any) -> Any:
    """as_role("registrar", "12.22") -> a Caller with a fresh token of that role."""

    def make(role: str, *regions: str) -> Caller:
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        return Caller(client, registry.tokens.create(name, role, list(regions)))

    return make


@pytest.fixture
def admin(as_role: Any) -> Caller:
    return as_role("admin")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests first.

    pytest-xdist's load scheduling hands each process a first chunk of the collection,
    then more to whichever runs short. The end-to-end tests, the longest of the suite,
    mostly wait on their server: run from the start in the first process, they leave
    the cores to the other tests, and none of them is left for the end. (`--dist
    loadgroup` could place them, but under pytest 9.2 it silently stops grouping:
    pytest-xdist issue 1386.)
    """
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)
