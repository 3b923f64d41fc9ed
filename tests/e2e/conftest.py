"""A real `registry serve` (gunicorn, 2 workers, projection process) per test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

REGISTRY = str(Path(sys.executable).with_name("registry"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([REGISTRY, *args], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


class Server:
    def __init__(self, base: str, env: dict[str, str], process: subprocess.Popen[bytes],
                 log: Any) -> None:
        self.base = base
        self.env = env
        self.process = process
        self.log = log
        self.session = requests.Session()

    def token(self, role: str = "admin", name: str = "e2e-admin", *regions: str) -> str:
        args = ["tokens", "create", "--role", role, "--name", name]
        for region in regions:
            args += ["--region", region]
        return cli(self.env, *args)

    def url(self, path: str) -> str:
        return self.base + path


def start_server(database_url: str, cwd: Path, workers: int = 2) -> Server:
    port = free_port()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_LOG_LEVEL": "WARNING"}
    log = open(cwd / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [REGISTRY, "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    server = Server(base, env, process, log)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError((cwd / f"serve-{port}.log").read_text())
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("registry serve did not answer /health within 30 s")


def stop_server(server: Server) -> None:
    process = server.process
    server.session.close()
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    server.log.close()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    started = start_server(database_url, tmp_path)
    yield started
    stop_server(started)


@pytest.fixture
def admin_headers(server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {server.token()}"}
