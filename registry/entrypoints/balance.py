"""Connections spread over `registry serve`'s worker processes.

Every worker waits on the one listening socket, and whichever wakes first
takes a new connection. A client that keeps its connection alive stays with
the worker that took it, so a burst of connections (agencies' systems
starting their day, a benchmark's clients) could all land on one worker: it
then answers them with one core while the other core idles, and their
latency doubles. Counted on this 2-core host, eight connections opened
together landed 8-0, 5-3, 4-4 and 6-2 in four tries.

So each worker publishes how many connections it holds, in memory shared
with the others (made before they are forked). A worker holding more than
another lets that one take the next connection, for at most `YIELD_SECONDS`:
past that it takes it itself, since the other may be busy, stuck or gone.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

SLOTS = 64  # `registry serve --workers` takes at most this many
YIELD_SECONDS = 0.02
# A yield this long after the last one is about another connection: its clock restarts.
EPISODE_SECONDS = 0.05
PAUSE_SECONDS = 0.0002  # while yielding: the listening socket stays readable meanwhile


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Balance:
    def __init__(self) -> None:
        self._pids: Any = multiprocessing.RawArray("i", SLOTS)
        self._conns: Any = multiprocessing.RawArray("i", SLOTS)
        self._lock = multiprocessing.Lock()

    def claim(self) -> int:
        """A slot for this worker: a free one, or that of a worker gone (restarted)."""
        me = os.getpid()
        with self._lock:
            for slot in range(SLOTS):
                pid = self._pids[slot]
                if pid == 0 or pid == me or not _alive(pid):
                    self._pids[slot], self._conns[slot] = me, 0
                    return slot
        return -1

    def release(self, slot: int) -> None:
        with self._lock:
            if slot >= 0 and self._pids[slot] == os.getpid():
                self._pids[slot] = 0

    def publish(self, slot: int, connections: int) -> None:
        if slot >= 0:
            self._conns[slot] = connections

    def another_holds_fewer(self, slot: int, connections: int) -> bool:
        return any(self._pids[i] != 0 and i != slot and self._conns[i] < connections
                   for i in range(SLOTS))


class Yielding:
    """Whether a worker should leave the connection waiting now to a less busy one."""

    def __init__(self, balance: Balance | None) -> None:
        self.balance = balance
        self.slot = balance.claim() if balance is not None else -1
        self._since = self._last = -1.0

    def publish(self, connections: int) -> None:
        if self.balance is not None:
            self.balance.publish(self.slot, connections)

    def now(self, connections: int) -> bool:
        if self.balance is None or not self.balance.another_holds_fewer(self.slot, connections):
            return False
        now = time.monotonic()
        if now - self._last > EPISODE_SECONDS:
            self._since = now
        self._last = now
        if now - self._since > YIELD_SECONDS:
            return False
        time.sleep(PAUSE_SECONDS)  # rather than spin on a socket that stays readable
        return True

    def release(self) -> None:
        if self.balance is not None:
            self.balance.release(self.slot)


SHARED: Balance | None = None


def share() -> None:
    """In `registry serve`'s main process, before gunicorn forks its workers."""
    global SHARED
    SHARED = Balance()
