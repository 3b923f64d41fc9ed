"""A real `registry serve` (gunicorn, 2 workers, projection process) per test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from registry.entrypoints.bench import harness

REGISTRY = str(Path(sys.executable).with_name("registry"))


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([REGISTRY, *args], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


class Server(harness.Server):
    """The benchmark's `registry serve`, with what the tests ask of it."""

    def __init__(self, database_url: str, folder: Path, workers: int = 2) -> None:
        super().__init__(database_url, workers, folder)
        self.base = f"http://127.0.0.1:{self.port}"
        self.session = requests.Session()

    def token(self, role: str = "admin", name: str = "e2e-admin", *regions: str) -> str:
        args = ["tokens", "create", "--role", role, "--name", name]
        for region in regions:
            args += ["--region", region]
        return cli(self.env, *args)

    def url(self, path: str) -> str:
        return self.base + path


def start_server(database_url: str, cwd: Path, workers: int = 2) -> Server:
    return Server(database_url, cwd, workers)


def stop_server(server: Server) -> None:
    server.session.close()
    server.stop()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(database_url, tmp_path)
    yield started
    stop_server(started)


@pytest.fixture
def admin_headers(server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {server.token()}"}
