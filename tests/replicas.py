"""A PostgreSQL streaming replica of the test server, for the replica tests.

Made with `pg_basebackup -R` from the server at 127.0.0.1:5432 and run with
`pg_ctl` on the first free port from 5433, in a temporary folder, as the
`postgres` system user; stopped and removed afterwards. The server must
accept replication connections from 127.0.0.1 (`.ci/run` adds the pg_hba.conf
line). Where it cannot be made the tests are skipped, except under CI.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from tests.databases import POSTGRES_URL, postgres_reachable

PG_HBA_LINE = "host replication all 127.0.0.1/32 trust"


def _unavailable(why: str) -> None:
    message = f"no streaming replica for the replica tests: {why}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run the replica tests)")
    pytest.skip(message)


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return os.path.dirname(found[-1]) if found else None


def _as_postgres(args: list[str]) -> list[str]:
    if pwd.getpwuid(os.getuid()).pw_name == "postgres":
        return args
    return ["runuser", "-u", "postgres", "--", *args]


def _free_port() -> int:
    # One replica per test process: pytest-xdist's workers start from ports of their own.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    first = 5433 + 10 * int(worker.removeprefix("gw") or 0)
    for port in range(first, first + 10):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for the replica")


@dataclass
class Replica:
    port: int
    folder: str
    bin_dir: str

    @property
    def data(self) -> str:
        return os.path.join(self.folder, "data")

    def url(self, schema: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/test?schema={schema}"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([os.path.join(self.bin_dir, "pg_ctl"), "-D", self.data,
                                     "-l", os.path.join(self.folder, "log"), "-w", *args]),
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=test",
                             autocommit=True, connect_timeout=5) as conn:
            cur = conn.execute(statement)
            return cur.fetchall() if cur.description else []

    def wait_for_position(self, schema: str, position: int, timeout: float = 10) -> None:
        """Until the replica has received the log up to `position`."""
        deadline = time.monotonic() + timeout
        while (self.sql(f'SELECT MAX(notification_id) FROM "{schema}".registry_events')[0][0]
               or 0) < position:  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica never received position {position}")
            time.sleep(0.05)

    def wait_for_schema(self, schema: str, timeout: float = 10) -> None:
        """Until the replica has received the tables the registry made in `schema`."""
        deadline = time.monotonic() + timeout
        while not self.sql(
                f"SELECT 1 FROM pg_tables WHERE schemaname = '{schema}' "  # noqa: S608
                "AND tablename = 'projection_positions'"):
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica never received schema {schema}")
            time.sleep(0.05)


def streaming_replica() -> Iterator[Replica]:
    if not postgres_reachable():
        _unavailable(f"PostgreSQL at {POSTGRES_URL} is unreachable")
    bin_dir = _bin_dir()
    if bin_dir is None or shutil.which("runuser") is None:
        _unavailable("PostgreSQL's server programs (/usr/lib/postgresql/*/bin) are not here")
    if os.getuid() != 0 and pwd.getpwuid(os.getuid()).pw_name != "postgres":
        _unavailable("the tests run neither as root nor as postgres, so cannot run pg_ctl")
    assert bin_dir is not None
    folder = tempfile.mkdtemp(prefix="registry-replica-")
    postgres = pwd.getpwnam("postgres")
    os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    replica = Replica(_free_port(), folder, bin_dir)
    made = subprocess.run(_as_postgres([
        os.path.join(bin_dir, "pg_basebackup"), "-h", "127.0.0.1", "-p", "5432", "-U",
        "postgres", "-D", replica.data, "-R", "-X", "stream", "-c", "fast"]),
        capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        _unavailable(f"pg_basebackup failed ({made.stderr.strip()}); the server must allow "
                     f"replication connections: add `{PG_HBA_LINE}` to pg_hba.conf")
    # Debian keeps a cluster's configuration outside its data folder: give the copy its own.
    for name, text in (
            ("postgresql.conf", f"port = {replica.port}\nlisten_addresses = '127.0.0.1'\n"
                                f"unix_socket_directories = '{folder}'\nhot_standby = on\n"
                                "fsync = off\n"),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", "")):
        path = os.path.join(replica.data, name)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, postgres.pw_uid, postgres.pw_gid)
    try:
        replica.start()
        yield replica
    finally:
        subprocess.run(_as_postgres([os.path.join(bin_dir, "pg_ctl"), "-D", replica.data,
                                     "stop", "-m", "immediate"]), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
