"""The PostgreSQL event store: the library's, writing without pipeline mode.

The library sends LOCK, NOTIFY and the INSERT of a whole save through a
psycopg pipeline. With saves of thousands of events (a 5,000-worker batch)
that pipeline was seen to stall for good, the server waiting on the client.
This recorder sends the same statements, in the same transaction and under
the same table lock (so positions still commit in order), one after another.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.utils import retry


class RegistryPostgresRecorder(PostgresApplicationRecorder):
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as curs:
                self._insert_events(curs, stored_events, **kwargs)
                if not stored_events:
                    return None
                self._insert_stored_events(curs, stored_events, **kwargs)
                return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)


class RegistryPostgresFactory(PostgresFactory):
    application_recorder_class = RegistryPostgresRecorder
