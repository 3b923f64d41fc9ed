"""Reading the stored log and its chain links, for `verify`, `export` and `/audit/integrity`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from registry.chain import CHAIN_TABLE, Verification, verify
from registry.db import SqlStore

PAGE = 2000


def stored_events(app: Any) -> Iterator[tuple[int, Any, int, str, bytes]]:
    """(position, stream, version, type, stored bytes) of every event, in order."""
    position = 0
    while True:
        page = app.recorder.select_notifications(start=position, limit=PAGE,
                                                 inclusive_of_start=False)
        if not page:
            return
        for n in page:
            yield n.id, n.originator_id, n.originator_version, n.topic, n.state
        position = page[-1].id


def stored_links(store: SqlStore) -> Iterator[tuple[int, str, str]]:
    position = -1
    while True:
        with store.transaction() as cur:
            rows = cur.execute(
                f"SELECT position, digest, hash FROM {CHAIN_TABLE} "  # noqa: S608
                "WHERE position > ? ORDER BY position LIMIT ?", (position, PAGE)).fetchall()
        if not rows:
            return
        yield from ((int(p), d, h) for p, d, h in rows)
        position = int(rows[-1][0])


def check(app: Any, store: SqlStore,
          expect_head: tuple[int, str] | None = None) -> Verification:
    """The chain over every event, then every snapshot against the events it stands for."""
    result = verify(stored_events(app), stored_links(store), expect_head)
    if result.ok:
        bad = first_bad_snapshot(app, store)
        if bad is not None:
            result.ok, result.problem = False, bad
    return result


def first_bad_snapshot(app: Any, store: SqlStore) -> str | None:
    """Snapshots are caches outside the chain: each must equal its stream replayed."""
    table = app.snapshots.recorder.events_table_name
    with store.transaction() as cur:
        streams = [r[0] for r in cur.execute(
            f"SELECT DISTINCT originator_id FROM {table} ORDER BY originator_id"  # noqa: S608
        ).fetchall()]
    for stream in streams:
        stream_id = UUID(str(stream))
        snapshots = {s.originator_version: s for s in app.snapshots.get(stream_id)}
        aggregate = None
        for event in app.events.get(stream_id, lte=max(snapshots)):
            aggregate = event.mutate(aggregate)
            snapshot = snapshots.get(event.originator_version)
            if snapshot is not None and type(snapshot).take(aggregate).state != snapshot.state:
                return (f"the snapshot of stream {stream_id} at version "
                        f"{event.originator_version} does not match its events; "
                        "snapshots are caches: delete it and the events stand")
    return None
