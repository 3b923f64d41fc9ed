"""The history read model: every event, indexed by agreement, worker and region.

Answers the audit trail of an agreement and of a worker, and the global log
filtered to a token's regions. One row per event (its metadata and business
data), plus one link per agreement the event concerns: a correction of a
worker concerns every agreement the worker was enrolled under.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from events import (
    AgreementSigned,
    ChildQuotaAllocated,
    RegionRegistered,
    RegistryEvent,
    WorkerCorrected,
    WorkerRegistered,
)
from projections.base import Projection
from registry.dates import JAKARTA, utc_iso
from registry.db import Cursor

METADATA = ("originator_id", "originator_version", "timestamp", "actor", "request_id",
            "originator_topic", "reason")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


# The business date each kind of event takes effect on: what backdating is measured from.
EFFECTIVE_FIELD = {
    "WorkerEnrolled": "starts_on",
    "WorkerDisenrolled": "ends_on",
    "AgreementAmended": "effective_on",
    "AgreementTerminated": "ends_on",
    "AgreementRenewed": "starts_on",
}


def effective_date(event: RegistryEvent) -> date | None:
    name = EFFECTIVE_FIELD.get(event.type)
    return getattr(event, name) if name else None


def business_data(event: RegistryEvent) -> dict[str, Any]:
    return {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)
            if f.name not in METADATA}


class HistoryProjection(Projection):
    name = "history"
    table_names = ("rm_history_links", "rm_history", "rm_history_streams")
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_history (
            position BIGINT PRIMARY KEY,
            stream_id TEXT NOT NULL,
            stream_kind TEXT NOT NULL,
            version INTEGER NOT NULL,
            type TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            request_id TEXT NOT NULL,
            reason TEXT,
            reason_code TEXT,
            nik TEXT,
            region_code TEXT,
            effective_on TEXT,
            backdated_days INTEGER,
            data TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS rm_history_links (
            position BIGINT NOT NULL,
            agreement_id TEXT NOT NULL,
            region_code TEXT NOT NULL,
            PRIMARY KEY (agreement_id, position))""",
        """CREATE TABLE IF NOT EXISTS rm_history_streams (
            stream_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            region_code TEXT,
            nik TEXT)""",
        "CREATE INDEX IF NOT EXISTS rm_history_nik ON rm_history (nik, position)",
        "CREATE INDEX IF NOT EXISTS rm_history_links_position ON rm_history_links (position)",
        "CREATE INDEX IF NOT EXISTS rm_history_backdated ON rm_history (backdated_days)",
    )

    HISTORY_COLUMNS = ("position", "stream_id", "stream_kind", "version", "type",
                       "recorded_at", "actor", "request_id", "reason", "reason_code", "nik",
                       "region_code", "effective_on", "backdated_days", "data")

    def __init__(self) -> None:
        # What a stream is never changes once registered, so lookups can be kept.
        self._streams: dict[str, tuple[str, str | None, str | None]] = {}
        # Rows are written in bulk at the end of each batch.
        self._rows: list[tuple[Any, ...]] = []
        self._links: list[tuple[Any, ...]] = []
        self._new_streams: list[tuple[Any, ...]] = []

    def start_batch(self) -> None:
        self._rows, self._links, self._new_streams = [], [], []

    def end_batch(self, cur: Cursor) -> None:
        cur.insert_rows("rm_history_streams", ("stream_id", "kind", "region_code", "nik"),
                        self._new_streams)
        cur.insert_rows("rm_history", self.HISTORY_COLUMNS, self._rows)
        cur.insert_rows("rm_history_links", ("position", "agreement_id", "region_code"),
                        self._links, suffix=" ON CONFLICT DO NOTHING")
        self.start_batch()

    def _stream(self, cur: Cursor, stream_id: str) -> tuple[str, str | None, str | None]:
        if stream_id not in self._streams:
            row = cur.execute("SELECT kind, region_code, nik FROM rm_history_streams "
                              "WHERE stream_id = ?", (stream_id,)).fetchone()
            if row is None:
                return ("unknown", None, None)
            self._streams[stream_id] = (row[0], row[1], row[2])
        return self._streams[stream_id]

    def clear(self, cur: Cursor) -> None:
        super().clear(cur)
        self._streams.clear()
        self.start_batch()

    def process(self, event: Any, cur: Cursor, position: int) -> None:
        stream_id = str(event.originator_id)
        self._register_stream(event, cur, stream_id)
        kind, region_code, nik = self._stream(cur, stream_id)
        effective_on = effective_date(event)
        backdated = (None if effective_on is None
                     else (event.timestamp.astimezone(JAKARTA).date() - effective_on).days)
        self._rows.append(
            (position, stream_id, kind, event.originator_version, event.type,
             utc_iso(event.timestamp), event.actor, event.request_id,
             getattr(event, "reason", None), getattr(event, "reason_code", None), nik,
             region_code, effective_on.isoformat() if effective_on else None, backdated,
             json.dumps(business_data(event), ensure_ascii=False)))
        for agreement_id in self._agreements_concerned(event, cur, kind, stream_id, nik):
            self._links.append(
                (position, agreement_id, self._stream(cur, agreement_id)[1] or ""))

    def _register_stream(self, event: Any, cur: Cursor, stream_id: str) -> None:
        known = {AgreementSigned: ("agreement", "region_code", None),
                 WorkerRegistered: ("worker", None, "nik"),
                 RegionRegistered: ("region", "region_code", None)}.get(type(event))
        if known is None:
            return
        kind, region_field, nik_field = known
        facts = (kind, getattr(event, region_field) if region_field else None,
                 getattr(event, nik_field) if nik_field else None)
        self._new_streams.append((stream_id, *facts))
        self._streams[stream_id] = facts

    def _agreements_concerned(self, event: Any, cur: Cursor, kind: str, stream_id: str,
                              nik: str | None) -> list[str]:
        if kind == "agreement":
            related = [str(event.child_id)] if isinstance(event, ChildQuotaAllocated) else []
            return [stream_id, *related]
        if kind == "worker" and getattr(event, "agreement_id", None) is not None:
            return [str(event.agreement_id)]
        if isinstance(event, WorkerCorrected):
            # A correction of the worker concerns every agreement of theirs.
            self.end_batch(cur)  # what this reads may still be buffered
            rows = cur.execute(
                "SELECT DISTINCT l.agreement_id FROM rm_history_links l "
                "JOIN rm_history h ON h.position = l.position WHERE h.nik = ?",
                (nik,)).fetchall()
            return [r[0] for r in rows]
        return []
