"""A real `registry serve` for end-to-end tests, and the `registry` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from registry.entrypoints.bench import harness

REGISTRY = str(Path(sys.executable).with_name("registry"))


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([REGISTRY, *args], env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip().splitlines()[-1]


class Server(harness.Server):
    """The benchmark's `registry serve`, with what the tests ask of it."""

    def __init__(self, database_url: str, folder: Path, workers: int = 2,
                 serve_args: tuple[str, ...] = ()) -> None:
        super().__init__(database_url, workers, folder, serve_args=serve_args)
        self.base = f"http://127.0.0.1:{self.port}"
        self.session = requests.Session()

    def token(self, role: str = "admin", name: str = "e2e-admin", *regions: str) -> str:
        args = ["tokens", "create", "--role", role, "--name", name]
        for region in regions:
            args += ["--region", region]
        return cli(self.env, *args)

    def url(self, path: str) -> str:
        return self.base + path


def start_server(database_url: str, cwd: Path, workers: int = 2,
                 serve_args: tuple[str, ...] = ()) -> Server:
    return Server(database_url, cwd, workers, serve_args)


def stop_server(server: Server) -> None:
    server.session.close()
    server.stop()
