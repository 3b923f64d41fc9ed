"""A real `registry serve` on a fresh store, and HTTP clients that hammer it.

Clients are threads in the benchmark's own process, each with one keep-alive
connection: the same machine, the same client for every figure, so a ratio
between two figures cancels what the client itself costs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry.bootstrap import Registry
from registry.config import ConfigurationError, Database, Settings
from registry.store.db import ensure_schema

REGISTRY = str(Path(sys.executable).with_name("registry"))


class BenchError(RuntimeError):
    """The benchmark could not run; the message says why."""


@dataclass
class Store:
    """A fresh, empty store: a SQLite file in a temporary folder or a PostgreSQL schema."""

    url: str
    engine: str
    _cleanup: Callable[[], None]
    key_file: str = ""  # the log's signing key, in the store's temporary folder

    def settings(self) -> Settings:
        return Settings(Database.from_url(self.url), log_level="WARNING",
                        signing_key_file=self.key_file)

    def open(self) -> Registry:
        return Registry.open(self.settings())

    def drop(self) -> None:
        self._cleanup()


@contextmanager
def fresh_store(engine: str, postgres_url: str, keep: bool = False) -> Iterator[Store]:
    if engine == "sqlite":
        folder = tempfile.mkdtemp(prefix="registry-bench-")
        store = Store(f"sqlite:///{folder}/registry.db", "sqlite",
                      lambda: shutil.rmtree(folder, ignore_errors=True),
                      f"{folder}/registry.key")
    else:
        schema = "bench_" + uuid.uuid4().hex[:12]
        base = postgres_url.split("?", 1)[0]
        try:
            database = Database.from_url(base)
        except ConfigurationError as e:
            raise BenchError(f"--postgres-url: {e}") from None
        if database.engine != "postgresql":
            raise BenchError(f"--postgres-url must be a postgresql:// URL, not {base!r}")

        keys = tempfile.mkdtemp(prefix="registry-bench-key-")

        def drop() -> None:
            import psycopg

            shutil.rmtree(keys, ignore_errors=True)
            with psycopg.connect(database.conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

        store = Store(f"{base}?schema={schema}", "postgresql", drop, f"{keys}/registry.key")
        try:
            ensure_schema(Database.from_url(store.url))
        except Exception as e:  # noqa: BLE001 - any reason the server cannot be used
            raise BenchError(f"cannot use PostgreSQL at {base}: {e}") from None
    try:
        yield store
    finally:
        if not keep:
            store.drop()


def admin_token(store: Store) -> str:
    registry = store.open()
    try:
        return registry.tokens.create(f"bench-{uuid.uuid4().hex[:8]}", "admin", [])
    finally:
        registry.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`registry serve --workers N` as a user starts it, on the given database.

    In its own session (so a signal to this process never reaches it, and it
    is stopped as a group); its output goes to `folder/serve-PORT.log`, or to
    a temporary file. The end-to-end tests start theirs with this too.
    """

    def __init__(self, database_url: str, workers: int = 2, folder: Path | None = None,
                 key_file: str = "", serve_args: tuple[str, ...] = ()) -> None:
        self.port = _free_port()
        self.log = (open(folder / f"serve-{self.port}.log", "w+b")  # noqa: SIM115 - stop()
                    if folder is not None else tempfile.TemporaryFile())  # noqa: SIM115
        self.env = {**os.environ, "REGISTRY_DATABASE_URL": database_url,
                    "REGISTRY_LOG_LEVEL": "WARNING"}
        if key_file:  # else beside the SQLite file, or in `folder`, where it starts
            self.env["REGISTRY_SIGNING_KEY_FILE"] = key_file
        # The master key where this process found it when it made the store (it starts
        # elsewhere, in `folder`).
        self.env.setdefault("REGISTRY_MASTER_KEY_FILE", os.path.abspath(
            Settings.from_env(self.env).master_key_path))
        self.process = subprocess.Popen(
            [REGISTRY, "serve", "--port", str(self.port), "--workers", str(workers),
             *serve_args],  # e.g. ("--read-only",): the end-to-end tests of time travel
            env=self.env, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            self._wait_until_up()
        except BaseException:
            # Its own session: Ctrl-C never reaches it, so it must be stopped here.
            self.stop()
            raise

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError("registry serve stopped at start:\n" + self._log_text())
            probe = Client(self.port)
            try:
                if probe.get("/health")[0] == 200:
                    return
            except BenchError:
                pass  # not listening yet
            finally:
                probe.close()
            # Refused until gunicorn listens, and then answered once a worker is up: a
            # short wait costs a refused connection, a long one most of a start's time.
            time.sleep(0.02)
        raise BenchError("registry serve did not answer /health within 60 s")

    def _log_text(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.log.closed:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class Client:
    """One keep-alive HTTP/1.1 connection."""

    # gunicorn closes a keep-alive connection idle for 2 s: one idle for longer
    # than this is opened again before the next request, not found broken by it.
    IDLE_SECONDS = 1.0

    def __init__(self, port: int, token: str | None = None) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.used = time.monotonic()

    def get(self, path: str) -> tuple[int, bytes]:
        status, body = self._request("GET", path, None, self.headers)
        return status, body

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        status, answer = self._request("POST", path, json.dumps(body).encode(), {
            **self.headers, "Content-Type": "application/json"})
        return status, json.loads(answer or b"null")

    def post_bytes(self, path: str, body: bytes, media: str) -> tuple[int, Any]:
        """A body that is no JSON (a CSV, a workbook); the answer is."""
        status, answer = self._request("POST", path, body,
                                       {**self.headers, "Content-Type": media})
        return status, json.loads(answer or b"null")

    def _request(self, method: str, path: str, body: bytes | None,
                 headers: dict[str, str]) -> tuple[int, bytes]:
        if time.monotonic() - self.used > self.IDLE_SECONDS:
            self.conn.close()  # the next request connects anew
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as e:
            # The path only: a page's query may carry a NIK.
            raise BenchError(f"{method} {path.split('?')[0]}: registry serve did not answer: "
                             f"{type(e).__name__}: {e}") from None
        finally:
            self.used = time.monotonic()
        self.last_headers = response.headers
        return response.status, answer

    def close(self) -> None:
        self.conn.close()


@dataclass
class Load:
    """What a run of concurrent clients saw: latencies in seconds, wall time, failures."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


Step = Callable[[Client, int], tuple[int, Any]]


def hammer(port: int, token: str, clients: int, step: Callable[[int], Step],
           *, requests: int | None = None, seconds: float | None = None,
           expect: int = 200) -> Load:
    """Run `clients` threads; client c calls `step(c)(client, i)` for i = 0, 1, ...

    Each client stops after `requests` calls or after `seconds`, whichever is
    given. A wrong status or an exception in any client fails the whole run.
    """
    load = Load()
    lock = threading.Lock()
    calls = [step(number) for number in range(clients)]
    start_gate = threading.Barrier(clients + 1, timeout=60)

    def run(call: Step) -> None:
        mine: list[float] = []
        client = Client(port, token)
        try:
            client.conn.connect()  # timed requests go over an open connection
            start_gate.wait()
            client.used = time.monotonic()  # not idle: it was opened for this
            deadline = time.perf_counter() + (seconds or 0)
            i = 0
            while (requests is not None and i < requests) or (
                    requests is None and time.perf_counter() < deadline):
                began = time.perf_counter()
                status, body = call(client, i)
                mine.append(time.perf_counter() - began)
                if status != expect:
                    with lock:
                        load.failures.append(f"HTTP {status}: {str(body)[:300]}")
                i += 1
        except Exception as e:  # noqa: BLE001 - reported as a failed run below
            start_gate.abort()
            with lock:
                load.failures.append(f"{type(e).__name__}: {e}")
        finally:
            client.close()
            with lock:
                load.latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(call,), daemon=True) for call in calls]
    for thread in threads:
        thread.start()
    # A client that failed before the start breaks the gate: its failure is reported below.
    with contextlib.suppress(threading.BrokenBarrierError):
        start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - began
    if load.failures:
        raise BenchError(f"{len(load.failures)} requests failed; first: {load.failures[0]}")
    return load
