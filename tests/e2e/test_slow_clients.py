"""Slow clients do not take `registry serve` away from everyone else.

Clients that send their headers, or their bodies, a byte at a time, and
`/health` and the API asked meanwhile by ordinary clients. On loopback only;
every connection the test opens is closed at its end.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from registry.entrypoints.bench import workload
from registry.entrypoints.reception import RECEIVE_SECONDS
from tests.e2e.servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

SLOW_HEADERS = 64
SLOW_BODIES = 20  # half of them uploads (a big body), half small bodies
TRICKLE_SECONDS = 0.5  # one more byte on every slow connection this often
PROBES = 12
PROBE_TIMEOUT = 5.0  # /health answers in milliseconds; generous for a busy machine


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One engine is enough: what is tested here happens before any storage. One server
    for the module: every connection a test opens is closed at its end, and the slow
    uploads' agreement is the first test's own."""
    folder = tmp_path_factory.mktemp("slow")
    started = start_server(f"sqlite:///{folder}/registry.db", folder)
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def admin_headers(server: Server) -> dict[str, Any]:
    return {"Authorization": f"Bearer {server.token()}"}


class SlowClients:
    """Connections that each send a request's start, then one byte now and then."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._trickle = threading.Thread(target=self._keep_trickling, daemon=True)

    def open(self, start: bytes) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.sockets.append(sock)
        sock.sendall(start)
        return sock

    def _keep_trickling(self) -> None:
        for _ in range(int(60 / TRICKLE_SECONDS)):  # bounded, whatever the test does
            if self._stop.wait(TRICKLE_SECONDS):
                return
            for sock in self.sockets:
                # The server may give up on one: allowed.
                with contextlib.suppress(OSError):
                    sock.send(b"a")  # into a header value, or JSON's whitespace: " "

    def start(self) -> None:
        self._trickle.start()

    def stop(self) -> None:
        self._stop.set()
        if self._trickle.is_alive():
            self._trickle.join(timeout=10)

    def close(self) -> None:
        self.stop()
        for sock in self.sockets:
            sock.close()


@contextmanager
def slow_clients(port: int) -> Iterator[SlowClients]:
    clients = SlowClients(port)
    try:
        yield clients
    finally:
        clients.close()


def head(method: str, path: str, **fields: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(
        f"{name.replace('_', '-')}: {value}" for name, value in fields.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_health_and_the_api_answer_while_64_slow_header_and_20_slow_body_clients_are_open(
        server, admin_headers):
    token = admin_headers["Authorization"]
    created = requests.post(server.url("/api/v1/agreements"), headers=admin_headers, timeout=30,
                            json=workload.agreement("PKS-SLOW", 1000, "12.22"))
    assert created.status_code == 201, created.text
    batch = f"/api/v1/agreements/{created.json()['id']}/enrollments/batch"
    with slow_clients(server.port) as slow:
        opened = time.monotonic()
        # Heads that never end: each trickled byte lengthens the last header's value.
        heads = [slow.open(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                 for _ in range(SLOW_HEADERS)]
        for n in range(SLOW_BODIES):
            length = 1_000_000 if n % 2 else 5_000
            slow.open(head("POST", batch, Authorization=token, Content_Type="application/json",
                           Content_Length=str(length)) + b' {"workers": [')
        slow.start()
        # Ordinary clients meanwhile.
        waits = []
        for _ in range(PROBES):
            began = time.monotonic()
            health = requests.get(server.url("/health"), timeout=PROBE_TIMEOUT)
            waits.append(time.monotonic() - began)
            assert health.status_code == 200, health.text
            time.sleep(0.3)
        listed = requests.get(server.url("/api/v1/agreements"), headers=admin_headers,
                              timeout=PROBE_TIMEOUT)
        assert listed.status_code == 200
        enrolled = requests.post(server.url(batch), headers=admin_headers,
                                 timeout=PROBE_TIMEOUT,
                                 json={"workers": workload.workers(0, 5, "12.22")})
        assert enrolled.status_code == 201, enrolled.text
        # The slow heads are answered 408 and disconnected once their time is up.
        slow.stop()
        for sock in heads:
            sock.settimeout(max(0.1, opened + RECEIVE_SECONDS + 10 - time.monotonic()))
            assert receive_head(sock).startswith(b"HTTP/1.1 408 ")
    print(f"\n/health under {SLOW_HEADERS} slow heads and {SLOW_BODIES} slow bodies: "
          f"slowest {max(waits) * 1000:.0f} ms of {len(waits)}")
    # The slow uploads are gone with their connections: uploads are served again.
    again = requests.post(server.url(batch), headers=admin_headers, timeout=30,
                          json={"workers": workload.workers(5, 5, "12.22")})
    assert again.status_code == 201, again.text


def test_a_request_sent_in_pieces_within_the_time_allowed_is_answered(server, admin_headers):
    body = b'{"workers": []}'
    request = head("POST", "/api/v1/agreements/00000000-0000-0000-0000-000000000000"
                   "/enrollments/batch", Authorization=admin_headers["Authorization"],
                   Content_Type="application/json", Content_Length=str(len(body))) + body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for start in range(0, len(request), 40):
            sock.sendall(request[start:start + 40])
            time.sleep(0.05)
        answer = receive_head(sock)
    assert answer.startswith(b"HTTP/1.1 404"), answer


def test_answers_without_a_body_and_with_one_arrive_whole_on_a_kept_alive_connection(server):
    """An answer's head is sent with its body (registry/entrypoints/reception.py); one
    without a body (HEAD) must not be held back waiting for one."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head("HEAD", "/health"))
        began = time.monotonic()
        answer = receive_head(sock)
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert time.monotonic() - began < 2
        sock.sendall(head("GET", "/health"))
        answer = sock.recv(65536)  # one send: the head and the body come together
        headers, _, body = answer.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in headers.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        assert len(body) == length, answer


def receive_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data

