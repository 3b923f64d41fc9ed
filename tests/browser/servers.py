"""A real `registry serve` on a fresh SQLite file loaded by `registry demo`, and what the
browser tests need to know about its data.

`registry demo` loads one SQLite file per test run (it takes a few seconds), and the
tokens the tests use are made on it with `registry tokens create`; each pytest(-xdist)
process then serves its own copy with `registry serve`, for the whole session. No
browser test writes anything another one reads (a test that writes makes its own
agreement and worker).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from registry.entrypoints.bench import harness
from tests.e2e.servers import REGISTRY, cli

# The log's signing key too, had the demo made one: checkpoints it signed must verify;
# and the master key, without which the copy does not open.
DATABASE_FILES = ("registry.db", "registry.db-wal", "registry.key", "registry.master.key")


def _registry_demo(env: dict[str, str], folder: Path) -> str:
    loaded = subprocess.run([REGISTRY, "demo"], env=env, cwd=folder, capture_output=True,
                            text=True, timeout=180)
    if loaded.returncode != 0:
        raise harness.BenchError(f"registry demo failed:\n{loaded.stderr[-4000:]}")
    return loaded.stdout.strip().splitlines()[-1]


REVOCABLE = "browser-revocable"  # an auditor's token that a test revokes


def demo_database(shared: Path) -> tuple[Path, dict[str, str]]:
    """The folder of a SQLite file `registry demo` loaded, once for all the test processes
    that share `shared` (the pytest-xdist workers of one run), each of which serves a copy;
    and the tokens made on it, by role: the demo's admin, an auditor scoped to Kota Binjai
    (12.75), and one to revoke."""
    folder = shared / "registry-demo"
    with open(shared / "registry-demo.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        if not (folder / "tokens.json").exists():
            folder.mkdir(exist_ok=True)
            env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{folder}/registry.db"}
            env.pop("REGISTRY_SIGNING_KEY_FILE", None)
            tokens = {
                "admin": _registry_demo(env, folder),
                "binjai_auditor": cli(env, "tokens", "create", "--role", "auditor", "--name",
                                      "browser-auditor-binjai", "--region", "12.75"),
                "revocable": cli(env, "tokens", "create", "--role", "auditor", "--name",
                                 REVOCABLE),
            }
            (folder / "tokens.json").write_text(json.dumps(tokens))
    return folder, json.loads((folder / "tokens.json").read_text())


class DemoServer(harness.Server):
    """`registry serve` as a user starts it after `registry demo`, logging at INFO.

    INFO, unlike the benchmark's WARNING, so that the access log has a line for every
    page request: the test that no NIK reaches the log reads that log
    (`folder/serve-PORT.log`, stdout and stderr of the server and its workers).
    """

    def __init__(self, folder: Path, shared: Path, workers: int = 1) -> None:
        database_url = f"sqlite:///{folder}/registry.db"
        self.env = {**os.environ, "REGISTRY_DATABASE_URL": database_url,
                    "REGISTRY_LOG_LEVEL": "INFO"}
        self.env.pop("REGISTRY_SIGNING_KEY_FILE", None)  # beside the SQLite file
        loaded, self.tokens = demo_database(shared)
        for name in DATABASE_FILES:
            if (loaded / name).exists():
                shutil.copy2(loaded / name, folder / name)
        self.admin_token = self.tokens["admin"]
        self.port = harness._free_port()
        self.log_path = folder / f"serve-{self.port}.log"
        self.log = open(self.log_path, "w+b")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            [REGISTRY, "serve", "--port", str(self.port), "--workers", str(workers)],
            env=self.env, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        self.base = f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        """Everything the server has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def token(self, role: str, *regions: str, name: str | None = None) -> tuple[str, str]:
        """A new token made with `registry tokens create`: (name, token)."""
        name = name or f"browser-{role}-{uuid.uuid4().hex[:8]}"
        args = ["tokens", "create", "--role", role, "--name", name]
        for region in regions:
            args += ["--region", region]
        return name, cli(self.env, *args)

    def revoke(self, name: str) -> None:
        cli(self.env, "tokens", "revoke", name, "--reason", "browser test")

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The JSON API, as the demo's admin."""
        headers = {"Authorization": f"Bearer {self.admin_token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.base + path, headers=headers, timeout=30,
                                **kwargs)


@dataclass
class Worker:
    nik: str
    name: str
    agreement_number: str
    starts_on: str
    covered_until: str


@dataclass
class Demo:
    """The running server and the facts of the demo data the tests ask about."""

    server: DemoServer
    agreements: dict[str, dict[str, Any]]  # by number
    binjai: Worker  # a worker of MOU/BJ/2025/11 (Kota Binjai, 12.75)
    medan: Worker  # a worker of PKS/MDN/2025/01 (an OPD of Kota Medan, 12.71)

    @property
    def base(self) -> str:
        return self.server.base

    def agreement_id(self, number: str) -> str:
        return str(self.agreements[number]["id"])

    def numbers_outside(self, region_code: str) -> list[str]:
        return [n for n, a in self.agreements.items()
                if not str(a["region_code"]).startswith(region_code)]


def load_demo(folder: Path, shared: Path) -> Demo:
    server = DemoServer(folder, shared)
    try:
        listed = server.api("GET", "/api/v1/agreements", params={"limit": 100})
        listed.raise_for_status()
        agreements = {a["agreement_number"]: a for a in listed.json()["items"]}
        return Demo(server, agreements,
                    binjai=_first_worker(server, agreements["MOU/BJ/2025/11"]["id"]),
                    medan=_first_worker(server, agreements["PKS/MDN/2025/01"]["id"]))
    except BaseException:
        server.stop()
        raise


def _first_worker(server: DemoServer, agreement_id: str) -> Worker:
    answer = server.api("GET", f"/api/v1/agreements/{agreement_id}/enrollments",
                        params={"limit": 1})
    answer.raise_for_status()
    row = answer.json()["items"][0]
    return Worker(row["nik"], row["name"], row["agreement_number"], row["starts_on"],
                  row["covered_until"])
