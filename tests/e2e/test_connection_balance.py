"""Kept-alive connections opened together are spread over `registry serve`'s workers.

Without the balance (registry/entrypoints/balance.py) whichever worker woke
first took most of them: 8-0, 5-3, 4-4 and 6-2 in four tries on a 2-core host.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.servers import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

CONNECTIONS = 8
BURSTS = 4


@pytest.fixture
def server(sqlite_url: str, tmp_path: Any) -> Iterator[Server]:
    started = start_server(sqlite_url, tmp_path, workers=2)
    yield started
    stop_server(started)


def _workers(server: Server) -> list[int]:
    """The pids of the gunicorn workers: the children of its master that listen on its
    port (the projection process, forked before gunicorn opens it, does not)."""
    master = server.process.pid
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == master and _sockets_held(int(entry), server.port, LISTENING):
                found.append(int(entry))
        except OSError:
            continue
    return found


ESTABLISHED, LISTENING = "01", "0A"  # the states of /proc/net/tcp


def _connections_held(pid: int, port: int) -> int:
    """Established TCP connections to `port` among the process's open sockets."""
    return _sockets_held(pid, port, ESTABLISHED)


def _sockets_held(pid: int, port: int, state: str) -> int:
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
            inodes.add(fields[9])  # the socket's inode
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with_link = f"/proc/{pid}/fd/{fd}"
        try:
            target = os.readlink(with_link)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def _warm(server: Server) -> None:
    """Until both workers have answered (each loads the app when it starts)."""
    deadline = time.monotonic() + 60
    while len(_workers(server)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    for _ in range(40):
        with socket.create_connection(("127.0.0.1", server.port)) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
    time.sleep(1)


def _burst(server: Server) -> list[int]:
    """Open CONNECTIONS kept-alive connections at once: how many each worker holds."""
    gate = threading.Barrier(CONNECTIONS)
    opened: list[socket.socket] = []
    lock = threading.Lock()

    def connect() -> None:
        gate.wait()
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive afterwards
        s.recv(65536)
        with lock:
            opened.append(s)

    threads = [threading.Thread(target=connect) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        return sorted(_connections_held(pid, server.port) for pid in _workers(server))
    finally:
        for s in opened:
            s.close()
        time.sleep(0.5)  # the workers see them closed before the next burst


def test_connections_opened_together_are_spread_over_the_workers(server: Server) -> None:
    _warm(server)
    bursts = [_burst(server) for _ in range(BURSTS)]
    assert all(sum(held) == CONNECTIONS for held in bursts), bursts
    assert all(held[-1] - held[0] <= 2 for held in bursts), f"per worker, by burst: {bursts}"
