"""The SQLite event store: the library's, plus the hash chain and the Merkle tree in the
same transaction."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteAggregateRecorder,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
)

from registry.store import key_writes, tiles, writelock
from registry.store.chain import CHAIN_TABLE, GENESIS, links_for
from registry.store.idempotency import KeyTakenOver, applied_keys, mark_applied_sql


class _QueuedWrites:
    """Saves wait their turn on the database's write lock (registry/store/writelock.py)."""

    datastore: Any

    @functools.cached_property
    def _write_lock(self) -> writelock.WriteLock:
        return writelock.for_database(self.datastore.pool.db_name)

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        keys = getattr(self, "keyring", None)
        try:
            with self._write_lock.held():
                return super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        finally:
            # Written or not, the keys made for these events are pending no more: a
            # retry seals its events again, with the key it then finds stored, or a new one.
            if keys is not None:
                keys.stored(e.originator_id for e in stored_events)


class RegistrySQLiteRecorder(_QueuedWrites, SQLiteApplicationRecorder):
    def existing_originators(self, ids: Collection[UUID]) -> set[UUID]:
        """Which of `ids` have a stream: a query per 500 ids, not one per id."""
        found: set[UUID] = set()
        wanted = [i.hex for i in ids]
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                c.execute(f"SELECT DISTINCT originator_id FROM {self.events_table_name} "  # noqa: S608
                          f"WHERE originator_id IN ({', '.join('?' * len(part))})", part)
                found.update(UUID(row["originator_id"]) for row in c.fetchall())
        return found

    def select_streams(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every event of each of these streams, in order: a query per 500 streams, for
        loading many small aggregates at once (a corrections file's workers)."""
        found: dict[UUID, list[StoredEvent]] = {}
        wanted = [i.hex for i in ids]
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(wanted), 500):
                part = wanted[start:start + 500]
                c.execute(f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                          f"FROM {self.events_table_name} WHERE originator_id IN "
                          f"({', '.join('?' * len(part))}) "
                          "ORDER BY originator_id, originator_version", part)
                for row in c.fetchall():
                    stream = UUID(row["originator_id"])
                    found.setdefault(stream, []).append(StoredEvent(
                        originator_id=stream, originator_version=row["originator_version"],
                        topic=row["topic"], state=row["state"]))
        return found

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY, "
                "digest TEXT NOT NULL, hash TEXT NOT NULL)",
                *tiles.create_statements("sqlite")]

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if positions:
            # The insert above holds SQLite's write lock: links are made in order.
            c.execute(f"SELECT hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
            links = links_for(row[0] if row else GENESIS, positions, stored_events)
            c.executemany(f"INSERT INTO {CHAIN_TABLE} (position, digest, hash) VALUES (?, ?, ?)",
                          links)
            tiles.append(tiles.TreeCursor(c), positions, [bytes.fromhex(d) for _, d, _ in links])
            erased = kwargs.get("erase_keys", ())
            if erased:
                # Freed bytes are zeroed, not left in the file's free pages.
                c.execute("PRAGMA secure_delete = ON")
            key_writes.write_keys(c, getattr(self, "keyring", None), stored_events, erased)
            # Each request's Idempotency-Key is applied in the events' own transaction,
            # at the position of its last event (a group commit saves many requests).
            for held, last in applied_keys(kwargs, len(positions)):
                c.execute(mark_applied_sql(), (positions[last], held.digest, held.attempt))
                c.execute("SELECT changes()")
                if c.fetchone()[0] != 1:
                    raise KeyTakenOver("a retry with this Idempotency-Key took over the "
                                       "request; this attempt wrote nothing")
        return positions


class RegistrySQLiteSnapshotRecorder(_QueuedWrites, SQLiteAggregateRecorder):
    """Snapshots: written under the same queue for the write lock as the events."""


class RegistrySQLiteFactory(SQLiteFactory):
    application_recorder_class = RegistrySQLiteRecorder
    aggregate_recorder_class = RegistrySQLiteSnapshotRecorder
