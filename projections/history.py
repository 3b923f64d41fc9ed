"""The history read model: an index over the log, by agreement, worker and region.

Answers the audit trail of an agreement and of a worker, and the global log
filtered to a token's regions. One row per event with what its queries filter
on, plus one link per agreement the event concerns: a correction of a worker
concerns every agreement the worker was enrolled under.

The events themselves are not copied: a page of history reads their bodies
from the event store by position (`projections/history_queries.py`). The log
is the record auditors trust; a second copy of every worker's personal data
would be one more place to keep in step and to erase from.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
from datetime import date, datetime
from typing import Any

from events import (
    AgreementSigned,
    ChildQuotaAllocated,
    ContributionLedgerOpened,
    RegionRegistered,
    RegistryEvent,
    TokenIssued,
    WorkerCorrected,
    WorkerRegistered,
)
from projections import bulk
from projections.base import Projection, keep_newest
from projections.reader import Batch, Fields
from registry.domain.dates import JAKARTA
from registry.store.db import Cursor

# The business date each kind of event takes effect on: what backdating is measured from.
EFFECTIVE_FIELD = {
    "WorkerEnrolled": "starts_on",
    "WorkerDisenrolled": "ends_on",
    "AgreementAmended": "effective_on",
    "AgreementTerminated": "ends_on",
    "AgreementRenewed": "starts_on",
}


@functools.lru_cache(maxsize=4096)
def _days_late(recorded_hour: str, effective_on: str) -> int:
    recorded_on = datetime.fromisoformat(recorded_hour + ":00+00:00").astimezone(JAKARTA).date()
    return (recorded_on - date.fromisoformat(effective_on)).days


def days_late(recorded_at: str, effective_on: str) -> int:
    """Days from an effective date to the day (in Jakarta) it was recorded.

    Jakarta is UTC+7 all year, so the hour of `recorded_at` (UTC, as `utc_iso`
    writes it) settles the day: worked out once per hour and effective date.
    """
    return _days_late(recorded_at[:13], effective_on)


@dataclasses.dataclass(frozen=True)
class _Shape:
    """What the history row needs of one event class, worked out once."""

    type: str
    effective: str | None
    # (stream kind, field of its region, field of its NIK) of a stream's first event
    registers: tuple[str, str | None, str | None] | None

    @classmethod
    def of(cls, event_class: builtins.type[RegistryEvent]) -> _Shape:
        # `builtins.type`: in this class `type` names the field.
        topic = event_class.TOPIC
        return cls(topic, EFFECTIVE_FIELD.get(topic), _REGISTERS.get(event_class))


_REGISTERS: dict[type[RegistryEvent], tuple[str, str | None, str | None]] = {
    AgreementSigned: ("agreement", "region_code", None),
    # A worker's pseudonym (its stream id), never the NIK the event seals.
    WorkerRegistered: ("worker", None, "originator_id"),
    RegionRegistered: ("region", "region_code", None),
    # A token's stream belongs to no region: only unscoped tokens see it.
    TokenIssued: ("token", None, None),
    # An agreement's contribution ledger: each of its events names the agreement.
    ContributionLedgerOpened: ("ledger", "region_code", None),
}


class HistoryProjection(Projection):
    name = "history"
    table_names = ("rm_history_links", "rm_history", "rm_history_streams")
    # 2: the events' bodies are read from the log, not copied into rows; 3: who recorded
    # each event and when, for the backdating report's filters; 4: workers by pseudonym.
    version = 4
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_history (
            position BIGINT PRIMARY KEY,
            stream_kind TEXT NOT NULL,
            type TEXT NOT NULL,
            reason_code TEXT,
            nik TEXT,
            region_code TEXT,
            effective_on TEXT,
            backdated_days INTEGER,
            actor TEXT,
            recorded_at TEXT)""",
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

    HISTORY_COLUMNS = ("position", "stream_kind", "type", "reason_code", "nik", "region_code",
                       "effective_on", "backdated_days", "actor", "recorded_at")
    # What a stream is never changes once registered: kept across batches,
    # agreements' and regions' always, the newest workers' up to a bound (they
    # come in the millions).
    MAX_STREAMS = 200_000

    def __init__(self) -> None:
        self._streams: dict[str, tuple[str, str | None, str | None]] = {}
        self._shapes: dict[type, _Shape] = {}
        # Rows are written in bulk at the end of each batch (or before a query
        # that must see them): emptied in place, as `_add` holds on to them.
        self._rows: list[tuple[Any, ...]] = []
        self._links: list[tuple[Any, ...]] = []
        self._new_streams: list[tuple[Any, ...]] = []
        self._link_of: dict[str, tuple[str, str]] = {}

    def start_batch(self) -> None:
        for buffer in (self._rows, self._links, self._new_streams, self._link_of):
            buffer.clear()

    def end_batch(self, cur: Cursor) -> None:
        cur.insert_rows("rm_history_streams", ("stream_id", "kind", "region_code", "nik"),
                        self._new_streams)
        cur.insert_rows("rm_history", self.HISTORY_COLUMNS, self._rows)
        cur.insert_rows("rm_history_links", ("position", "agreement_id", "region_code"),
                        self._links)
        self.start_batch()

    def apply(self, batch: Batch, cur: Cursor) -> None:
        self.start_batch()
        # Agreements and regions are few, and every worker event refers to one.
        keep_newest(self._streams, self.MAX_STREAMS, keep=lambda facts: facts[0] != "worker")
        self._add(batch, cur)
        self.end_batch(cur)

    def _shape(self, cls: type) -> _Shape:
        shape = self._shapes.get(cls)
        if shape is None:
            shape = self._shapes[cls] = _Shape.of(cls)
        return shape

    def _prefetch(self, batch: Batch, cur: Cursor) -> list[str]:
        """The batch's stream ids; looks up in one query those registered in earlier batches."""
        known, registered, wanted, stream_ids = self._streams, set(), set(), []
        for _, cls, event in batch:
            stream_id = event["originator_id"]
            stream_ids.append(stream_id)
            if stream_id in known or stream_id in registered:
                continue
            if self._shape(cls).registers:
                registered.add(stream_id)
            else:
                wanted.add(stream_id)
        if wanted:
            self.need_indexes(cur)
        for stream_id, kind, region_code, nik in bulk.select_in(
                cur, "SELECT stream_id, kind, region_code, nik FROM rm_history_streams "
                     "WHERE stream_id IN (?)", sorted(wanted)):
            known[stream_id] = (kind, region_code, nik)
        return stream_ids

    def _stream(self, cur: Cursor, stream_id: str) -> tuple[str, str | None, str | None]:
        if stream_id not in self._streams:
            self.need_indexes(cur)
            row = cur.execute("SELECT kind, region_code, nik FROM rm_history_streams "
                              "WHERE stream_id = ?", (stream_id,)).fetchone()
            if row is None:
                return ("unknown", None, None)
            self._streams[stream_id] = (row[0], row[1], row[2])
        return self._streams[stream_id]

    def _add(self, batch: Batch, cur: Cursor) -> None:
        # One loop with everything it uses in locals: this runs for every event.
        streams, shapes, rows, links = self._streams, self._shapes, self._rows, self._links
        for (position, cls, state), stream_id in zip(
                batch, self._prefetch(batch, cur), strict=True):
            shape = shapes.get(cls) or self._shape(cls)
            if shape.registers is not None:
                kind, region_field, nik_field = shape.registers
                facts = (kind, state[region_field] if region_field else None,
                         state[nik_field] if nik_field else None)
                self._new_streams.append((stream_id, *facts))
                streams[stream_id] = facts
            else:
                facts = streams.get(stream_id) or self._stream(cur, stream_id)
            kind, region_code, nik = facts
            effective_on = state[shape.effective] if shape.effective else None
            backdated = (None if effective_on is None
                         else days_late(state["timestamp"], effective_on))
            rows.append((position, kind, shape.type, state.get("reason_code"), nik,
                         region_code, effective_on, backdated, state["actor"],
                         state["timestamp"]))
            for agreement_id, agreement_region in self._concerned(
                    cls, state, cur, kind, stream_id, region_code, nik):
                links.append((position, agreement_id, agreement_region))

    def _concerned(self, cls: type, event: Fields, cur: Cursor, kind: str, stream_id: str,
                   region_code: str | None, nik: str | None) -> list[tuple[str, str]]:
        """(agreement_id, its region) of each agreement the event concerns."""
        if kind == "agreement":
            if issubclass(cls, ChildQuotaAllocated):
                child = self._link(cur, event["child_id"])
                return [(stream_id, region_code or "")] + (
                    [child] if child[0] != stream_id else [])
            return [(stream_id, region_code or "")]
        agreement_id = event.get("agreement_id")
        if kind in ("worker", "ledger") and agreement_id is not None:
            return [self._link(cur, agreement_id)]
        if issubclass(cls, WorkerCorrected):
            # A correction of the worker concerns every agreement of theirs.
            self.end_batch(cur)  # what this reads may still be buffered
            self.need_indexes(cur)
            rows = cur.execute(
                "SELECT DISTINCT l.agreement_id FROM rm_history_links l "
                "JOIN rm_history h ON h.position = l.position WHERE h.nik = ?",
                (nik,)).fetchall()
            return [(row[0], (self._streams.get(row[0]) or self._stream(cur, row[0]))[1] or "")
                    for row in rows]
        return []

    def _link(self, cur: Cursor, agreement_id: str) -> tuple[str, str]:
        """(agreement_id, its region): looked up once per batch and agreement."""
        link = self._link_of.get(agreement_id)
        if link is None:
            facts = self._streams.get(agreement_id) or self._stream(cur, agreement_id)
            link = (agreement_id, facts[1] or "")
            if facts[0] != "unknown":
                self._link_of[agreement_id] = link
        return link
