"""One SQLite writer at a time across processes, queued by the kernel.

SQLite lets only one connection write at once. A second writer that finds the
database busy sleeps and tries again, waiting 1, 2, 5, 10, 15, 20, 25 ms and
more between tries: under a few concurrent writers (two gunicorn workers and
the projection process) that shows as requests taking 50-100 ms for no work.
Holding an exclusive `flock` on a file beside the database for the length of
every write transaction makes writers wait in the kernel instead, and each
one goes as soon as the previous one is done.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteLock:
    def __init__(self, database_path: str) -> None:
        self.path = os.path.abspath(database_path) + ".lock"
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._file(), fcntl.LOCK_UN)

    def _file(self) -> int:
        # A descriptor inherited through fork() shares the parent's lock: open our own.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


_locks: dict[str, WriteLock] = {}
_locks_guard = threading.Lock()


def for_database(database_path: str) -> WriteLock:
    """The lock of this database file, shared by every connection in the process."""
    key = os.path.abspath(database_path)
    with _locks_guard:
        if key not in _locks:
            _locks[key] = WriteLock(database_path)
        return _locks[key]
