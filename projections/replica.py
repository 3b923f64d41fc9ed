"""Reads served by a PostgreSQL streaming replica, with the client's own writes.

The primary keeps the read models (projections run there only); streaming
replication copies their tables to the replica with everything else. A read
then runs on the replica, unless the client names the log position its own
write reached (`X-Min-Position`) and the replica's read models are not there
yet: the read waits up to `wait_seconds` for them, then answers from the
primary. A replica that cannot be reached is left alone for `rest_seconds`
and the primary answers meanwhile: never a wrong answer, at worst a slower one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing import persistence

from projections.runner import ProjectionRunner
from registry.store.db import Cursor, SqlStore

T = TypeVar("T")
log = logging.getLogger("registry.replica")



def unreachable() -> tuple[type[Exception], ...]:
    """What a replica that cannot be reached raises.

    Loaded only when a read fails: a replica is a PostgreSQL database, and a SQLite
    store (each command of the CLI, each worker) need not load psycopg at all.
    """
    import psycopg
    import psycopg_pool

    return (psycopg.OperationalError, psycopg_pool.PoolTimeout,
            persistence.OperationalError, persistence.InterfaceError)


@dataclass(frozen=True)
class Served:
    source: str  # "replica" or "primary"
    # Events the replica's read models were behind the log's head (replica reads only).
    lag: int | None = None
    why: str = ""  # why the primary answered


# Set by the API for each request: the position the client's read must reflect.
MIN_POSITION: ContextVar[int | None] = ContextVar("min_position", default=None)
# Where the request's last read was served from, for its answer's headers.
SERVED: ContextVar[Served | None] = ContextVar("replica_served", default=None)


class ReplicaReads(ProjectionRunner):
    """The primary's projection runner, whose reads come from a replica."""

    def __init__(self, primary: ProjectionRunner, replica: SqlStore, replica_app: Any = None,
                 *, wait_seconds: float = 2.0, poll_seconds: float = 0.02,
                 rest_seconds: float = 5.0) -> None:
        super().__init__(primary.app, primary.store, primary.projections)
        self.replica = replica
        # The replica's event store, read-only: agreements and workers as aggregates.
        self.replica_app = replica_app
        self.wait_seconds = wait_seconds
        self.poll_seconds = poll_seconds
        self.rest_seconds = rest_seconds
        self._resting_until = 0.0
        self._names = [p.name for p in self.projections]

    def read(self, query: Callable[[Cursor], T]) -> T:
        if MIN_POSITION.get() is not None:
            # The read models must hold the write on the primary before the replica
            # can receive them.
            self.catch_up()

        def on_replica() -> tuple[int, T]:
            with self.replica.transaction() as cur:
                return self._position(cur), query(cur)

        return self._serve(on_replica, self._models_position,
                           lambda: super(ReplicaReads, self).read(query))

    def aggregate(self, load: Callable[[Any], T]) -> T:
        """`load` given the replica's application, once its log holds the client's
        write (`X-Min-Position`, up to `wait_seconds`); else given the primary's."""
        app = self.replica_app
        if app is None:
            return super().aggregate(load)
        return self._serve(lambda: (app.head_position(), load(app)), app.head_position,
                           lambda: load(self.app))

    def replica_lag(self) -> int | None:
        """Events the replica's read models are behind the log's head; None when it
        cannot be reached."""
        try:
            reached = self._models_position()
        except unreachable():
            return None
        return max(0, self.app.head_position() - reached)

    def _serve(self, on_replica: Callable[[], tuple[int, T]], position: Callable[[], int],
               on_primary: Callable[[], T]) -> T:
        """`on_replica` (the position the replica had reached, and the answer), once
        `position` reaches the client's `X-Min-Position`; else `on_primary`."""
        if time.monotonic() < self._resting_until:
            return self._from_primary(on_primary, "replica unreachable")
        wanted = MIN_POSITION.get()
        try:
            if wanted is not None and not self._reached(wanted, position):
                return self._from_primary(on_primary, "replica behind")
            reached, found = on_replica()
        except unreachable() as error:
            self._resting_until = time.monotonic() + self.rest_seconds
            log.warning("replica unreachable, reading from the primary for %.0f s: %s",
                        self.rest_seconds, type(error).__name__)
            return self._from_primary(on_primary, "replica unreachable")
        SERVED.set(Served("replica", lag=max(0, self.app.head_position() - reached)))
        return found

    @staticmethod
    def _from_primary(on_primary: Callable[[], T], why: str) -> T:
        found = on_primary()
        SERVED.set(Served("primary", why=why))
        return found

    def _reached(self, wanted: int, position: Callable[[], int]) -> bool:
        """Wait until `position` reaches `wanted`; False after `wait_seconds`, or at
        once when the log itself has not (no wait can bring that)."""
        if wanted > self.app.head_position():
            return False
        deadline = time.monotonic() + self.wait_seconds
        while position() < wanted:
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_seconds)
        return True

    def _models_position(self) -> int:
        with self.replica.transaction() as cur:
            return self._position(cur)

    def _position(self, cur: Cursor) -> int:
        """The position every read model on the replica has reached."""
        marks = ", ".join("?" for _ in self._names)
        low, known = cur.execute(
            f"SELECT MIN(position), COUNT(*) FROM projection_positions "  # noqa: S608
            f"WHERE name IN ({marks})", self._names).one()
        return int(low) if low is not None and known == len(self._names) else 0
