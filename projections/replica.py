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

import psycopg
import psycopg_pool
from eventsourcing import persistence

from projections.runner import ProjectionRunner
from registry.store.db import Cursor, SqlStore

T = TypeVar("T")
log = logging.getLogger("registry.replica")

UNREACHABLE = (psycopg.OperationalError, psycopg_pool.PoolTimeout,
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
        wanted = MIN_POSITION.get()
        if time.monotonic() < self._resting_until:
            return self._from_primary(query, "replica unreachable")
        try:
            if wanted is not None:
                # The read models must hold the write on the primary before the
                # replica can receive them.
                self.catch_up()
                if not self._reached(wanted):
                    return self._from_primary(query, "replica behind")
            with self.replica.transaction() as cur:
                reached = self._position(cur)
                found = query(cur)
        except UNREACHABLE as error:
            self._rest(error)
            return self._from_primary(query, "replica unreachable")
        SERVED.set(Served("replica", lag=max(0, self.app.head_position() - reached)))
        return found

    def aggregate(self, load: Callable[[Any], T]) -> T:
        """`load` given the replica's application, once its log holds the client's
        write (`X-Min-Position`, up to `wait_seconds`); else given the primary's."""
        if self.replica_app is None or time.monotonic() < self._resting_until:
            return self._aggregate_from_primary(load, "replica unreachable")
        wanted = MIN_POSITION.get()
        try:
            if wanted is not None and not self._log_reached(wanted):
                return self._aggregate_from_primary(load, "replica behind")
            reached = self.replica_app.head_position()
            found = load(self.replica_app)
        except UNREACHABLE as error:
            self._rest(error)
            return self._aggregate_from_primary(load, "replica unreachable")
        SERVED.set(Served("replica", lag=max(0, self.app.head_position() - reached)))
        return found

    def replica_lag(self) -> int | None:
        """Events the replica's read models are behind the log's head; None when it
        cannot be reached."""
        try:
            with self.replica.transaction() as cur:
                reached = self._position(cur)
        except UNREACHABLE:
            return None
        return max(0, self.app.head_position() - reached)

    def _rest(self, error: BaseException) -> None:
        self._resting_until = time.monotonic() + self.rest_seconds
        log.warning("replica unreachable, reading from the primary for %.0f s: %s",
                    self.rest_seconds, type(error).__name__)

    def _aggregate_from_primary(self, load: Callable[[Any], T], why: str) -> T:
        found = load(self.app)
        SERVED.set(Served("primary", why=why))
        return found

    def _log_reached(self, wanted: int) -> bool:
        """Wait until the replica's log holds `wanted`; as `_reached` for read models."""
        assert self.replica_app is not None
        if wanted > self.app.head_position():
            return False
        deadline = time.monotonic() + self.wait_seconds
        while self.replica_app.head_position() < wanted:
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_seconds)
        return True

    def _from_primary(self, query: Callable[[Cursor], T], why: str) -> T:
        found = super().read(query)
        SERVED.set(Served("primary", why=why))
        return found

    def _reached(self, wanted: int) -> bool:
        """Wait until the replica's read models reach `wanted`; False after `wait_seconds`
        or at once when the log itself has not (no wait can bring that)."""
        if wanted > self.app.head_position():
            return False
        deadline = time.monotonic() + self.wait_seconds
        while True:
            with self.replica.transaction() as cur:
                if self._position(cur) >= wanted:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(self.poll_seconds)

    def _position(self, cur: Cursor) -> int:
        """The position every read model on the replica has reached."""
        marks = ", ".join("?" for _ in self._names)
        low, known = cur.execute(
            f"SELECT MIN(position), COUNT(*) FROM projection_positions "  # noqa: S608
            f"WHERE name IN ({marks})", self._names).one()
        return int(low) if low is not None and known == len(self._names) else 0
