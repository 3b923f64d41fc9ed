"""Reservations: a writer that lost a race runs its next attempt undisturbed.

Saves are optimistic (registry/service/application.py): a writer reads, decides, and
saves only if nothing it read has changed meanwhile. A 20,000-row batch reads
the agreement and then works for seconds before it saves; single enrollments
on the same agreement, a few a second, save in milliseconds and so always
get there first, until the batch runs out of attempts. A reservation on an
agreement lets its holder read, decide and save while no other writer can
save a change to that agreement; those writers wait at their save until the
holder is done (then their own attempt has lost, and they reserve in turn).

SQLite writes one transaction at a time anyway: its reservation is the
database's write lock (registry/store/writelock.py), held for the holder's whole
attempt, and every save already queues on that lock. On PostgreSQL it is an
advisory lock keyed on the agreement: the holder takes it exclusively for its
attempt, and every save that touches the agreement takes it shared for the
length of the save, so saves on an agreement nobody holds still run side by
side. Both are session locks on connections of a small pool of their own
(the library's pool serves the save itself meanwhile), released when the
attempt or the save ends. A writer waits at most `WAIT_SECONDS` for one,
then gets `concurrent_update`.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, Protocol
from uuid import UUID

from registry.config import Database
from registry.domain.errors import ConcurrentUpdate
from registry.store import writelock

WAIT_SECONDS = 60
POOL_SIZE = 8  # lock connections per process: one for each of its 8 request threads


class Reservations(Protocol):
    def hold(self, agreement_ids: Collection[UUID]) -> Any:
        """A context in which no one else can save a change to these agreements."""

    def saving(self, agreement_ids: Collection[UUID]) -> Any:
        """A context for a save that changes these agreements: it waits for their holders."""

    def close(self) -> None:
        """Release the connections, if any."""


def for_database(database: Database) -> Reservations:
    if database.engine == "sqlite":
        return WriteLockReservations(database.path)
    return AdvisoryLockReservations(database)


class WriteLockReservations:
    """SQLite: the whole database's write lock, held for the holder's attempt."""

    def __init__(self, database_path: str) -> None:
        self._lock = writelock.for_database(database_path)

    def hold(self, agreement_ids: Collection[UUID]) -> Any:
        return self._lock.held() if agreement_ids else nullcontext()

    def saving(self, agreement_ids: Collection[UUID]) -> Any:
        return nullcontext()  # every save queues on the write lock by itself

    def close(self) -> None:
        pass


class AdvisoryLockReservations:
    """PostgreSQL: advisory locks per agreement, exclusive to hold, shared to save."""

    def __init__(self, database: Database) -> None:
        self._schema = database.schema
        self._conninfo = database.conninfo()
        self._pool: Any = None
        self._opening = threading.Lock()

    def hold(self, agreement_ids: Collection[UUID]) -> Any:
        return self._locked(agreement_ids, "pg_advisory_lock")

    def saving(self, agreement_ids: Collection[UUID]) -> Any:
        return self._locked(agreement_ids, "pg_advisory_lock_shared")

    @contextmanager
    def _locked(self, agreement_ids: Collection[UUID], function: str) -> Iterator[None]:
        if not agreement_ids:
            yield
            return
        # Always in the same order, so that two holders never wait on each other.
        keys = sorted({self._key(i) for i in agreement_ids})
        with self._connection() as conn:
            try:
                _lock(conn, function, keys)
                yield
            finally:
                _unlock_all(conn)

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        from psycopg_pool import PoolTimeout

        pool = self._connections()
        try:
            conn = pool.getconn()
        except PoolTimeout:
            raise _waited_too_long() from None
        try:
            yield conn
        finally:
            pool.putconn(conn)

    def _key(self, agreement_id: UUID) -> int:
        # Advisory locks are per database: the schema keeps two registries in one apart.
        digest = hashlib.blake2b(f"{self._schema}:{agreement_id}".encode(), digest_size=8)
        return int.from_bytes(digest.digest(), "big", signed=True)

    def _connections(self) -> Any:
        # Opened on first use: most processes (the projection process, the CLI) never write.
        with self._opening:
            if self._pool is None:
                from psycopg_pool import ConnectionPool

                self._pool = ConnectionPool(
                    conninfo=self._conninfo, min_size=1, max_size=POOL_SIZE, open=False,
                    timeout=WAIT_SECONDS, kwargs={
                        "autocommit": True,
                        "options": f"-c lock_timeout={WAIT_SECONDS * 1000}"})
                self._pool.open()
            return self._pool

    def close(self) -> None:
        with self._opening:
            if self._pool is not None:
                self._pool.close()
                self._pool = None


def _lock(conn: Any, function: str, keys: list[int]) -> None:
    import psycopg

    try:
        # One statement; PostgreSQL takes the locks in the order they are listed.
        conn.execute(f"SELECT {', '.join([f'{function}(%s)'] * len(keys))}", keys)
    except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected):
        raise _waited_too_long() from None


def _waited_too_long() -> ConcurrentUpdate:
    return ConcurrentUpdate(
        f"another write held the agreement for more than {WAIT_SECONDS} s "
        "(a large batch, perhaps); try again")


def _unlock_all(conn: Any) -> None:
    """Release every advisory lock of the session (those half taken too)."""
    import psycopg

    try:
        conn.execute("SELECT pg_advisory_unlock_all()")
    except psycopg.Error:
        conn.close()  # the pool discards it, and the server releases its locks
