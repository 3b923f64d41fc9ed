"""Queries over the history read model: audit trails, the log, backdating.

The read model finds the positions; each event's body (who, when, why, what)
is read from the event store at that position, as the read models read it
(`projections.reader`): upcast to its current shape, and never a second copy
that could drift from the log.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from uuid import UUID

from projections.agreements import region_clause
from projections.reader import LogReader
from registry.domain.dates import recorded_on
from registry.domain.findings import death_flags
from registry.store.db import Cursor

# Not the event's data: who, when and why, and where in the log.
METADATA = ("originator_id", "originator_version", "timestamp", "actor", "request_id",
            "originator_topic", "reason")


def _columns(log: LogReader) -> str:
    return f"h.position, h.stream_kind, e.{log.position}, {log.columns('e')}"


def _event(log: LogReader, row: tuple[Any, ...]) -> dict[str, Any]:
    position, stream_kind, *stored = row
    _, cls, fields = log.event(*stored)
    return {"position": position, "stream": fields["originator_id"],
            "stream_kind": stream_kind, "version": fields["originator_version"],
            "type": cls.TOPIC, "recorded_at": fields["timestamp"], "actor": fields["actor"],
            "reason": fields.get("reason"), "request_id": fields["request_id"],
            "data": {name: value for name, value in fields.items() if name not in METADATA}}


def events_page(cur: Cursor, log: LogReader, where: str, params: list[Any], after: int,
                limit: int) -> tuple[list[dict[str, Any]], int | None]:
    rows = cur.execute(
        f"SELECT {_columns(log)} FROM rm_history h {log.join('h')} "  # noqa: S608
        f"WHERE h.position > ? AND {where} ORDER BY h.position LIMIT ?",
        (after, *params, limit + 1)).fetchall()
    events = [_event(log, r) for r in rows[:limit]]
    return events, (rows[limit - 1][0] if len(rows) > limit else None)


def visible_clause(scopes: list[str] | None) -> tuple[str, list[str]]:
    """Events a scoped token may see: of a stream in its regions, or about an agreement there."""
    if scopes is None:
        return "1 = 1", []
    own, own_params = region_clause("h.region_code", scopes)
    linked, linked_params = region_clause("l.region_code", scopes)
    return (f"({own} OR EXISTS (SELECT 1 FROM rm_history_links l "
            f"WHERE l.position = h.position AND {linked}))", [*own_params, *linked_params])


def agreement_history(cur: Cursor, log: LogReader, agreement_id: str, after: int, limit: int
                      ) -> tuple[list[dict[str, Any]], int | None]:
    """The agreement's own events and every event about it (enrollments, corrections).

    Found by walking the agreement's links in position order: an `IN (SELECT ...)` made
    PostgreSQL join and sort every link of the agreement (5,000 for the Binjai MOU)
    before it took a page."""
    positions = [int(r[0]) for r in cur.execute(
        "SELECT position FROM rm_history_links WHERE agreement_id = ? AND position > ? "
        "ORDER BY position LIMIT ?", (agreement_id, after, limit + 1)).fetchall()]
    if not positions:
        return [], None
    page = positions[:limit]
    marks = ", ".join("?" for _ in page)
    events, _ = events_page(cur, log, f"h.position IN ({marks})", page, after, limit)
    return events, (page[-1] if len(positions) > limit else None)


def worker_history(cur: Cursor, log: LogReader, nik: str, scopes: list[str] | None, after: int,
                   limit: int) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = visible_clause(scopes)
    if scopes is not None:
        # A worker's own facts (registration, corrections) belong to no region.
        visible = f"({visible} OR h.position NOT IN (SELECT position FROM rm_history_links))"
    return events_page(cur, log, f"h.nik = ? AND {visible}", [nik, *params], after, limit)


def global_log(cur: Cursor, log: LogReader, scopes: list[str] | None, after: int, limit: int
               ) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = visible_clause(scopes)
    return events_page(cur, log, visible, params, after, limit)


def backdated(cur: Cursor, log: LogReader, min_days: int, scopes: list[str] | None,
              before: int | None, limit: int, *, agreement_id: str | None = None,
              actor: str | None = None, recorded_from: str | None = None,
              recorded_before: str | None = None
              ) -> tuple[list[dict[str, Any]], int | None]:
    """Events recorded more than `min_days` after they took effect, newest first; only
    those about `agreement_id`, recorded by `actor`, recorded at or after
    `recorded_from` and before `recorded_before` (`utc_iso` text), where given."""
    visible, scope_params = visible_clause(scopes)
    where = f"h.backdated_days > ? AND {visible}"
    params: list[Any] = [min_days, *scope_params]
    for clause, value in (
            ("h.position < ?", before), ("h.actor = ?", actor),
            ("h.recorded_at >= ?", recorded_from), ("h.recorded_at < ?", recorded_before),
            ("EXISTS (SELECT 1 FROM rm_history_links l WHERE l.position = h.position "
             "AND l.agreement_id = ?)", agreement_id)):
        if value is not None:
            where += f" AND {clause}"
            params.append(value)
    rows = cur.execute(
        f"SELECT {_columns(log)}, h.effective_on, h.backdated_days, h.nik, "  # noqa: S608
        f"h.reason_code FROM rm_history h {log.join('h')} WHERE {where} "
        "ORDER BY h.position DESC LIMIT ?", (*params, limit + 1)).fetchall()
    deaths = _deaths(cur, {r[9] for r in rows[:limit] if r[9]})
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


def _backdated_item(cur: Cursor, log: LogReader, row: tuple[Any, ...], deaths: dict[str, date],
                    numbers: dict[str, str | None]) -> dict[str, Any]:
    event = _event(log, row[:7])
    effective_on, days, nik, reason_code = row[7:11]
    died_on = deaths.get(nik) if nik else None
    flags = death_flags(event["type"], reason_code, date.fromisoformat(effective_on),
                        recorded_on(datetime.fromisoformat(event["recorded_at"])), died_on)
    agreement_id = (event["stream"] if event["stream_kind"] == "agreement"
                    else event["data"].get("agreement_id"))
    if agreement_id is not None and agreement_id not in numbers:
        signed = log.first_event(cur, agreement_id)
        numbers[agreement_id] = signed.get("agreement_number") if signed else None
    return {
        **event,
        "nik": nik,
        "agreement_id": agreement_id,
        "agreement_number": numbers.get(agreement_id) if agreement_id else None,
        "effective_on": effective_on,
        "days_backdated": days,
        "died_on": died_on.isoformat() if died_on else None,
        **dataclasses.asdict(flags),
    }


def agreement_events(cur: Cursor, log: LogReader, agreement_id: str, limit: int
                     ) -> list[dict[str, Any]]:
    """The agreement's own events (signing, amendments, renewals, termination, quota),
    without the enrollments and corrections about it: read by its stream, so that an
    agreement with a million enrollments costs what one with none does."""
    key = UUID(agreement_id)
    rows = cur.execute(
        f"SELECT {_columns(log)} FROM {log.table} e "  # noqa: S608
        f"JOIN rm_history h ON h.position = e.{log.position} "
        "WHERE e.originator_id = ? ORDER BY e.originator_version LIMIT ?",
        (key.hex if log.engine == "sqlite" else key, limit)).fetchall()
    return [_event(log, r) for r in rows]
