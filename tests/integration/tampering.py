"""What the tamper and integrity tests share: SQL straight at the store."""

from __future__ import annotations

from typing import Any

from registry.store.chain import CHAIN_TABLE


def sql(registry: Any, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Run `statement` with {events}, {snapshots}, {chain} and {pos} filled in, as an
    intruder with database access would; its rows, if it has any."""
    events = registry.app.recorder.events_table_name
    snapshots = registry.app.snapshots.recorder.events_table_name
    position = "rowid" if registry.store.engine == "sqlite" else "notification_id"
    with registry.store.transaction(write=True) as cur:
        cur.execute(statement.format(events=events, snapshots=snapshots, pos=position,
                                     chain=CHAIN_TABLE), params)
        try:
            return cur.fetchall()
        except Exception:  # noqa: BLE001 - statements without rows
            return []
