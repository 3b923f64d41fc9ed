"""Queries over the history read model: audit trails, the log, backdating.

The read model finds the positions; each event's body (who, when, why, what)
is read from the event store at that position and decoded by the library, as
the aggregates read it: upcast to its current shape, and never a second copy
that could drift from the log.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from projections.agreements import region_clause
from registry.dates import JAKARTA, utc_iso
from registry.db import Cursor, log_position

METADATA = ("originator_id", "originator_version", "timestamp", "actor", "request_id",
            "originator_topic", "reason")
EVENT_COLUMNS = ("h.position, h.stream_kind, e.originator_id, e.originator_version, e.topic, "
                 "e.state")


@dataclass(frozen=True)
class EventLog:
    """The event store as history reads it: its table, and the library's decoding."""

    table: str
    position: str  # the table's column that holds an event's position in the log
    engine: str
    mapper: Any

    @classmethod
    def of(cls, app: Any) -> EventLog:
        engine = app.database.engine
        return cls(app.recorder.events_table_name, log_position(engine), engine, app.mapper)

    def join(self) -> str:
        """The event rows of the history rows `h`, as `e`."""
        return f"JOIN {self.table} e ON e.{self.position} = h.position"

    def decode(self, stream: Any, version: int, topic: str, state: bytes) -> Any:
        stream_id = stream if isinstance(stream, UUID) else UUID(stream)
        return self.mapper.to_domain_event(StoredEvent(stream_id, version, topic, bytes(state)))

    def first_event(self, cur: Cursor, stream_id: str) -> Any | None:
        """The event that created the stream, or None."""
        key: Any = UUID(stream_id)
        row = cur.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {self.table} "  # noqa: S608
            "WHERE originator_id = ? AND originator_version = 1",
            (key.hex if self.engine == "sqlite" else key,)).fetchone()
        return self.decode(*row) if row else None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def business_data(event: Any) -> dict[str, Any]:
    """The event's own fields, as JSON values: everything but who, when and why."""
    return {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)
            if f.name not in METADATA}


def _event(log: EventLog, row: tuple[Any, ...]) -> dict[str, Any]:
    position, stream_kind, stream, version, topic, state = row
    event = log.decode(stream, version, topic, state)
    return {"position": position, "stream": str(event.originator_id),
            "stream_kind": stream_kind, "version": version, "type": event.type,
            "recorded_at": utc_iso(event.timestamp), "actor": event.actor,
            "reason": event.__dict__.get("reason"), "request_id": event.request_id,
            "data": business_data(event)}


def _page(cur: Cursor, log: EventLog, where: str, params: list[Any], after: int, limit: int
          ) -> tuple[list[dict[str, Any]], int | None]:
    rows = cur.execute(
        f"SELECT {EVENT_COLUMNS} FROM rm_history h {log.join()} "  # noqa: S608
        f"WHERE h.position > ? AND {where} ORDER BY h.position LIMIT ?",
        (after, *params, limit + 1)).fetchall()
    events = [_event(log, r) for r in rows[:limit]]
    return events, (rows[limit - 1][0] if len(rows) > limit else None)


def _visible(scopes: list[str] | None) -> tuple[str, list[str]]:
    """Events a scoped token may see: of a stream in its regions, or about an agreement there."""
    if scopes is None:
        return "1 = 1", []
    own, own_params = region_clause("h.region_code", scopes)
    linked, linked_params = region_clause("l.region_code", scopes)
    return (f"({own} OR EXISTS (SELECT 1 FROM rm_history_links l "
            f"WHERE l.position = h.position AND {linked}))", [*own_params, *linked_params])


def agreement_history(cur: Cursor, log: EventLog, agreement_id: str, after: int, limit: int
                      ) -> tuple[list[dict[str, Any]], int | None]:
    """The agreement's own events and every event about it (enrollments, corrections)."""
    return _page(cur, log, "h.position IN (SELECT position FROM rm_history_links "
                           "WHERE agreement_id = ?)", [agreement_id], after, limit)


def worker_history(cur: Cursor, log: EventLog, nik: str, scopes: list[str] | None, after: int,
                   limit: int) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = _visible(scopes)
    if scopes is not None:
        # A worker's own facts (registration, corrections) belong to no region.
        visible = f"({visible} OR h.position NOT IN (SELECT position FROM rm_history_links))"
    return _page(cur, log, f"h.nik = ? AND {visible}", [nik, *params], after, limit)


def global_log(cur: Cursor, log: EventLog, scopes: list[str] | None, after: int, limit: int
               ) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = _visible(scopes)
    return _page(cur, log, visible, params, after, limit)


def backdated(cur: Cursor, log: EventLog, min_days: int, scopes: list[str] | None,
              before: int | None, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Events recorded more than `min_days` after they took effect, newest first."""
    visible, params = _visible(scopes)
    where = f"h.backdated_days > ? AND {visible}"
    params = [min_days, *params]
    if before is not None:
        where += " AND h.position < ?"
        params.append(before)
    rows = cur.execute(
        f"SELECT {EVENT_COLUMNS}, h.effective_on, h.backdated_days, h.nik "  # noqa: S608
        f"FROM rm_history h {log.join()} WHERE {where} ORDER BY h.position DESC LIMIT ?",
        (*params, limit + 1)).fetchall()
    deaths = _deaths(cur, {r[8] for r in rows[:limit] if r[8]})
    numbers: dict[str, str | None] = {}
    items = [_backdated_item(cur, log, r, deaths, numbers) for r in rows[:limit]]
    return items, (rows[limit - 1][0] if len(rows) > limit else None)


def _deaths(cur: Cursor, niks: set[str]) -> dict[str, date]:
    if not niks:
        return {}
    marks = ", ".join("?" for _ in niks)
    rows = cur.execute(
        "SELECT nik, MIN(effective_on) FROM rm_history WHERE type = 'WorkerDisenrolled' "  # noqa: S608
        f"AND reason_code = 'DECEASED' AND nik IN ({marks}) GROUP BY nik", tuple(niks)).fetchall()
    return {nik: date.fromisoformat(day) for nik, day in rows}


def _backdated_item(cur: Cursor, log: EventLog, row: tuple[Any, ...], deaths: dict[str, date],
                    numbers: dict[str, str | None]) -> dict[str, Any]:
    event = _event(log, row[:6])
    effective_on, days, nik = row[6:9]
    recorded_on = datetime.fromisoformat(event["recorded_at"]).astimezone(JAKARTA).date()
    died_on = deaths.get(nik) if nik else None
    agreement_id = (event["stream"] if event["stream_kind"] == "agreement"
                    else event["data"].get("agreement_id"))
    if agreement_id is not None and agreement_id not in numbers:
        signed = log.first_event(cur, agreement_id)
        numbers[agreement_id] = getattr(signed, "agreement_number", None)
    return {
        **event,
        "nik": nik,
        "agreement_id": agreement_id,
        "agreement_number": numbers.get(agreement_id) if agreement_id else None,
        "effective_on": effective_on,
        "days_backdated": days,
        "died_on": died_on.isoformat() if died_on else None,
        "recorded_after_death": bool(died_on and recorded_on > died_on),
        "recorded_within_30_days_before_death": bool(
            died_on and died_on - timedelta(days=30) <= recorded_on <= died_on),
    }
