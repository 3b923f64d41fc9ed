"""A real `registry serve` (gunicorn, 2 workers, projection process) per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.servers import Server, start_server, stop_server


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(database_url, tmp_path)
    yield started
    stop_server(started)


@pytest.fixture
def admin_headers(server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {server.token()}"}
