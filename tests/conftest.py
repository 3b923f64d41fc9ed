"""Fixtures shared by every suite: databases on both engines, the app, tokens.

PostgreSQL comes from REGISTRY_TEST_POSTGRES_URL (default: the local server
CI provides). Each test gets a schema of its own. Where the server cannot be
reached the PostgreSQL cases are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api import create_app
from registry.bootstrap import Registry
from registry.config import Database, Settings

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
    if not postgres_reachable():
        message = f"PostgreSQL at {POSTGRES_URL} is unreachable"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the PostgreSQL tests)")
        pytest.skip(message)
    schema = "t_" + uuid.uuid4().hex[:16]
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(Database.from_url(POSTGRES_URL).conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path}/registry.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Both engines: every test that uses it runs once on each."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/registry.db"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url})


@pytest.fixture
def registry(settings: Settings) -> Iterator[Registry]:
    opened = Registry.open(settings)
    yield opened
    opened.close()


@pytest.fixture
def app(registry: Registry) -> Any:
    return create_app(registry=registry)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class Caller:
    """The test client acting with one token."""

    def __init__(self, client: Any, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})},
                               **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.post(path, json=json,
                                headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.client.put(path, json=json,
                               headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)


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


def labusel_pks(**overrides: Any) -> dict[str, Any]:
    """The Labuhanbatu Selatan PKS of 4 October 2022 (seed 003)."""
    body = {
        "agreement_number": "PKS-LABUSEL-2022",
        "kind": "PKS",
        "title": "Perlindungan pekerja rentan Labuhanbatu Selatan",
        "region_code": "12.22",
        "region_name": "Kabupaten Labuhanbatu Selatan",
        "sponsor": "Pemerintah Kabupaten Labuhanbatu Selatan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Rantauprapat",
        "signed_on": "2022-10-04",
        "funding_source": "APBD",
        "programs": ["JKK", "JKM"],
        "starts_on": "2022-10-01",
        "ends_on": "2022-12-31",
        "quota": 2000,
    }
    body.update(overrides)
    return body


def medan_mou(**overrides: Any) -> dict[str, Any]:
    """The Kota Medan city MOU (seed 001): OPD PKS are signed under it."""
    body = {
        "agreement_number": "MOU-MEDAN-2025",
        "kind": "MOU",
        "region_code": "12.71",
        "region_name": "Kota Medan",
        "sponsor": "Pemerintah Kota Medan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Medan Kota",
        "signed_on": "2025-01-15",
        "funding_source": "APBD",
        "programs": ["JKK", "JKM"],
        "starts_on": "2025-02-01",
        "ends_on": "2025-12-31",
        "quota": 10000,
    }
    body.update(overrides)
    return body
