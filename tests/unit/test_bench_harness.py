"""The benchmark's load generator: a run in which a client failed is never reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from registry.entrypoints.bench.harness import BenchError, hammer


class _Answers(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b"{}"
        self.send_response(200 if self.path == "/ok" else 502)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


def test_every_request_of_every_client_is_timed(port: int) -> None:
    load = hammer(port, "t", 4, lambda c: lambda client, i: client.get("/ok"), requests=5)
    assert len(load.latencies) == 20 and load.per_second > 0


def test_a_wrong_status_fails_the_run(port: int) -> None:
    with pytest.raises(BenchError, match="HTTP 502"):
        hammer(port, "t", 2, lambda c: lambda client, i: client.get(
            "/broken" if (c, i) == (1, 2) else "/ok"), requests=5)


def test_a_client_whose_connection_breaks_fails_the_run(port: int) -> None:
    def step(c: int) -> Any:
        def call(client: Any, i: int) -> Any:
            if (c, i) == (0, 2):
                raise ConnectionResetError("the server went away")
            return client.get("/ok")
        return call

    with pytest.raises(BenchError, match="ConnectionResetError"):
        hammer(port, "t", 4, step, requests=10)


def test_a_client_that_fails_before_the_start_does_not_hang_the_run(port: int) -> None:
    def step(c: int) -> Any:
        if c == 0:
            raise ValueError("no requests for this client")
        return lambda client, i: client.get("/ok")

    with pytest.raises(ValueError, match="no requests"):
        hammer(port, "t", 2, step, requests=2)
