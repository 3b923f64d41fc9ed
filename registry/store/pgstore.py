"""The PostgreSQL event store: the library's, without pipeline mode, plus the chain.

The library sends LOCK, NOTIFY and the INSERT of a whole save through a
psycopg pipeline. With saves of thousands of events (a 5,000-worker batch)
that pipeline was seen to stall for good, the server waiting on the client.
This recorder sends the same statements, in the same transaction and under
the same table lock (so positions still commit in order), in as few round
trips as it can, and adds the events' links to the hash chain in that
transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import sql

from registry.store import key_writes, tiles
from registry.store.chain import CHAIN_TABLE, GENESIS, links_for
from registry.store.idempotency import TABLE as IDEMPOTENCY_TABLE
from registry.store.idempotency import KeyTakenOver, applied_keys, mark_applied_sql


class RegistryPostgresRecorder(PostgresApplicationRecorder):
    def existing_originators(self, ids: Collection[UUID]) -> set[UUID]:
        """Which of `ids` have a stream: one query, not one per id."""
        table = sql.Identifier(self.datastore.schema, self.events_table_name)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql.SQL("SELECT DISTINCT originator_id FROM {} "
                                 "WHERE originator_id = ANY(%s)").format(table), [list(ids)])
            return {UUID(str(row["originator_id"])) for row in curs.fetchall()}

    def select_streams(self, ids: Collection[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Every event of each of these streams, in order, in one query: for loading
        many small aggregates at once (a corrections file's workers)."""
        table = sql.Identifier(self.datastore.schema, self.events_table_name)
        found: dict[UUID, list[StoredEvent]] = {}
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql.SQL("SELECT originator_id, originator_version, topic, state "
                                 "FROM {} WHERE originator_id = ANY(%s) "
                                 "ORDER BY originator_id, originator_version").format(table),
                         [list(ids)])
            for row in curs.fetchall():
                stream = UUID(str(row["originator_id"]))
                found.setdefault(stream, []).append(StoredEvent(
                    originator_id=stream, originator_version=row["originator_version"],
                    topic=row["topic"], state=bytes(row["state"])))
        return found

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        keys = getattr(self, "keyring", None)
        try:
            return self._insert_events_retried(stored_events, **kwargs)
        finally:
            # Written or not, the keys made for these events are pending no more: a
            # retry seals its events again, with the key it then finds stored, or a new one.
            if keys is not None:
                keys.stored(e.originator_id for e in stored_events)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_events_retried(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return None
        with self.datastore.get_connection() as conn, conn.transaction():  # noqa: SIM117
            with conn.cursor() as curs:  # (one with would not read better here)
                # Every round trip from here to COMMIT is made holding the table lock,
                # so there are four: lock and read the chain's head and the tree's
                # edge, insert the events, insert their links, write their tiles.
                curs.execute(self._lock_and_read_head)
                head, edge = self._last_two_results(curs)
                PostgresAggregateRecorder._insert_stored_events(self, curs, stored_events)
                positions = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                assert positions is not None
                links = links_for(head[0]["hash"] if head else GENESIS, positions, stored_events)
                # One JSON text: the driver adapts the values of arrays one by one.
                curs.execute(self._insert_links, [json.dumps(links)])
                tree = tiles.TreeCursor(curs, format_params=True, table=self._tiles,
                                        chain=self._chain)
                tiles.append(tree, positions, [bytes.fromhex(d) for _, d, _ in links],
                             tree.rightmost(edge))
                key_writes.write_keys(curs, getattr(self, "keyring", None), stored_events,
                                   kwargs.get("erase_keys", ()), table=self._keys, mark="%s")
                # Each request's Idempotency-Key is applied in the events' own transaction,
                # at the position of its last event (a group commit saves many requests).
                for held, last in applied_keys(kwargs, len(positions)):
                    curs.execute(self._mark_applied, [positions[last], held.digest, held.attempt])
                    if curs.rowcount != 1:
                        raise KeyTakenOver("a retry with this Idempotency-Key took over the "
                                           "request; this attempt wrote nothing")
        return positions

    @staticmethod
    def _last_two_results(curs: Any) -> tuple[list[Any], list[Any]]:
        """The rows of the last two statements of a multi-statement query that had rows."""
        results = []
        while True:
            if curs.description is not None:
                results.append(curs.fetchall())
            if not curs.nextset():
                return results[-2], results[-1]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        chain = sql.Identifier(self.datastore.schema, CHAIN_TABLE)
        self.sql_create_statements.append(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (position BIGINT PRIMARY KEY, "
                    "digest TEXT NOT NULL, hash TEXT NOT NULL)").format(chain))
        # Quoted by hand: TreeCursor takes plain SQL text (the schema name is checked
        # by registry.config).
        self._chain = f'"{self.datastore.schema}".{CHAIN_TABLE}'
        self._tiles = f'"{self.datastore.schema}".{tiles.TABLE}'
        self._keys = f'"{self.datastore.schema}".worker_keys'
        tree = tiles.TreeCursor(None, table=self._tiles, chain=self._chain)
        self.sql_create_statements += [
            sql.SQL(statement)  # type: ignore[misc]
            for statement in tiles.create_statements("postgresql", self._tiles)]
        # The library's own statements (lock timeout, EXCLUSIVE lock, NOTIFY), sent
        # as one; the EXCLUSIVE lock keeps commit order equal to position order.
        self._lock_and_read_head = sql.SQL("; ").join([
            *self.lock_table_statements,
            sql.SQL("NOTIFY {}").format(sql.Identifier(self.channel_name)),
            sql.SQL("SELECT hash FROM {} ORDER BY position DESC LIMIT 1").format(chain),
            sql.SQL(tree.rightmost_sql()),
        ])
        self._mark_applied = sql.SQL(mark_applied_sql("{}", "%s")).format(
            sql.Identifier(self.datastore.schema, IDEMPOTENCY_TABLE))
        self._insert_links = sql.SQL(
            "INSERT INTO {} (position, digest, hash) "
            "SELECT (l->>0)::bigint, l->>1, l->>2 FROM json_array_elements(%s::json) AS l"
        ).format(chain)


class RegistryPostgresFactory(PostgresFactory):
    application_recorder_class = RegistryPostgresRecorder
