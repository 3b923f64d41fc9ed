"""A save's data keys, written in the events' own transaction by both recorders."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from registry.store.chain import canonical_id
from registry.store.keyring import Keyring, _now


def write_keys(cursor: Any, keyring: Keyring | None, stored_events: Iterable[Any],
               erased: Iterable[Any], table: str = "worker_keys", mark: str = "?") -> None:
    """In the events' own transaction: store the new data keys their streams use, and
    destroy those of workers erased by them. `cursor` is the recorder's."""
    rows = keyring.rows_for({e.originator_id for e in stored_events}) if keyring else []
    if rows and mark == "%s":
        # PostgreSQL: one statement, its rows as one JSON text (the driver would adapt
        # the values of arrays one by one, in Python).
        cursor.execute(f"INSERT INTO {table} (worker_id, wrapped, created_at) "  # noqa: S608
                       "SELECT k.worker_id, k.wrapped, k.created_at FROM json_to_recordset("
                       "%s::json) AS k(worker_id text, wrapped text, created_at text) "
                       "ON CONFLICT (worker_id) DO NOTHING",
                       [json.dumps([{"worker_id": w, "wrapped": k, "created_at": c}
                                    for w, k, c in rows])])
    elif rows:  # SQLite: one statement run for each row, in C
        cursor.executemany(f"INSERT INTO {table} (worker_id, wrapped, created_at) "  # noqa: S608
                           f"VALUES ({mark}, {mark}, {mark}) ON CONFLICT (worker_id) DO NOTHING",
                           rows)
    for stream in erased:
        now = _now()
        cursor.execute(f"INSERT INTO {table} (worker_id, wrapped, created_at, erased_at) "  # noqa: S608
                f"VALUES ({mark}, NULL, {mark}, {mark}) ON CONFLICT (worker_id) DO UPDATE "
                "SET wrapped = NULL, erased_at = excluded.erased_at",
                (canonical_id(stream), now, now))
        if keyring is not None:
            keyring.forget(stream)
