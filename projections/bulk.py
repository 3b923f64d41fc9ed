"""Batch statements beyond inserts (which `Cursor.insert_rows` does), per engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from registry.store.db import Cursor


def update(cur: Cursor, sql: str, pg_sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """One UPDATE per row on SQLite (`sql`, no round trips); on PostgreSQL one
    statement for all of them (`pg_sql`, which takes one array per column)."""
    if not rows:
        return
    if cur.engine == "postgresql" and len(rows) > 1:
        cur.execute(pg_sql, [list(column) for column in zip(*rows, strict=True)])
    else:
        cur.executemany(sql, rows)


def select_in(cur: Cursor, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of `sql`, whose `IN (?)` is given every one of `values`."""
    if not values:
        return []
    if cur.engine == "postgresql":
        return cur.execute(sql.replace("IN (?)", "= ANY(?)"), [list(values)]).fetchall()
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(values), 500):
        part = values[start:start + 500]
        rows += cur.execute(sql.replace("IN (?)", "IN (" + ", ".join("?" for _ in part) + ")"),
                            part).fetchall()
    return rows
