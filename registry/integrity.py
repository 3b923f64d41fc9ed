"""Reading the stored log and its chain links, for `verify`, `export` and `/audit/integrity`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    return verify(stored_events(app), stored_links(store), expect_head)
