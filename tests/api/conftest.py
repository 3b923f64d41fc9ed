"""API tests run on SQLite only: the integration suite covers both engines."""

from __future__ import annotations

import pytest


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url
