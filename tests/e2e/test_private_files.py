"""The files a running `registry serve` makes (its workers and projection process
included) are 0600, though it was started with a umask that would make them 0644."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import requests

from tests.builders import labusel_pks
from tests.e2e.servers import start_server, stop_server

pytestmark = pytest.mark.e2e


def test_the_database_files_of_a_running_registry_are_0600(tmp_path: Path):
    database = tmp_path / "registry.db"
    old = os.umask(0o022)
    try:
        server = start_server(f"sqlite:///{database}", tmp_path)
    finally:
        os.umask(old)
    try:
        headers = {"Authorization": f"Bearer {server.token()}"}
        signed = requests.post(server.url("/api/v1/agreements"), headers=headers,
                               json=labusel_pks(), timeout=30)
        assert signed.status_code == 201, signed.text
        made = sorted(p.name for p in tmp_path.glob("registry.db*"))
        assert made == ["registry.db", "registry.db-shm", "registry.db-wal", "registry.db.lock",
                        "registry.db.serving"]
        modes = {name: oct(stat.S_IMODE(os.stat(tmp_path / name).st_mode)) for name in made}
        assert modes == dict.fromkeys(made, "0o600")
    finally:
        stop_server(server)
