"""Records held back in memory and written in batches by one background thread.

A coverage read that committed its own access record would pay a write
transaction (and, on SQLite, the one write lock of the database) for every
answer. Held here instead, the records of a process are written together,
every `EVERY_SECONDS` or as soon as `MOST` are waiting, whichever comes first.
A record can be lost only with its process killed outright (SIGKILL, a
crash) within that interval; an orderly exit writes what is waiting.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("registry.store.access")

EVERY_SECONDS = 0.2
MOST = 200
# Records kept waiting while the database refuses them; past this, the oldest are
# dropped (and said so) rather than growing the process without bound.
HELD_AT_MOST = 100_000


class Batches:
    def __init__(self, write: Callable[[list[Any]], None], every_seconds: float = EVERY_SECONDS,
                 most: int = MOST) -> None:
        self._write = write
        self._every = every_seconds
        self._most = most
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._pending: list[Any] = []
        self._ready = threading.Condition()
        # Held while a batch is taken and written: whoever holds it next sees that
        # batch committed (a flush before a read sees its own process's records).
        self._writing = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def add(self, rows: list[Any]) -> None:
        if not rows:
            return
        if self._pid != os.getpid():
            self._start()  # a forked child: the parent's thread and records stay the parent's
        with self._ready:
            self._pending.extend(rows)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="access-records",
                                                daemon=True)
                self._thread.start()
            if len(self._pending) >= self._most:
                self._ready.notify()
        if self._closed:
            self.flush()

    def flush(self) -> None:
        if self._pid != os.getpid():
            return
        with self._writing:
            with self._ready:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self._write(batch)
            except Exception:
                with self._ready:
                    self._pending[:0] = batch
                    dropped = len(self._pending) - HELD_AT_MOST
                    if dropped > 0:
                        del self._pending[:dropped]
                        log.error("dropped the %d oldest access records held back", dropped)
                raise

    def _run(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: len(self._pending) >= self._most or self._closed,
                                     timeout=self._every)
                closed = self._closed
            try:
                self.flush()
            except Exception:  # noqa: BLE001 - kept, and tried again with the next batch
                log.exception("access records could not be written; kept for the next try")
            if closed:
                return

    def close(self) -> None:
        """Write what is waiting and stop the thread; later records are written at once."""
        if self._pid != os.getpid():
            return
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=30)
        self.flush()
