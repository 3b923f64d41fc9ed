"""Queries over the history read model: audit trails, the log, backdating."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from projections.agreements import region_clause
from registry.dates import JAKARTA
from registry.db import Cursor

EVENT_COLUMNS = ("h.position, h.stream_id, h.stream_kind, h.version, h.type, h.recorded_at, "
                 "h.actor, h.reason, h.request_id, h.data")


def _event(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("position", "stream", "stream_kind", "version", "type", "recorded_at", "actor",
            "reason", "request_id", "data")
    event = dict(zip(keys, row, strict=True))
    event["data"] = json.loads(event["data"])
    return event


def _page(cur: Cursor, where: str, params: list[Any], after: int, limit: int
          ) -> tuple[list[dict[str, Any]], int | None]:
    rows = cur.execute(
        f"SELECT {EVENT_COLUMNS} FROM rm_history h WHERE h.position > ? AND {where} "  # noqa: S608
        "ORDER BY h.position LIMIT ?", (after, *params, limit + 1)).fetchall()
    events = [_event(r) for r in rows[:limit]]
    return events, (rows[limit - 1][0] if len(rows) > limit else None)


def _visible(scopes: list[str] | None) -> tuple[str, list[str]]:
    """Events a scoped token may see: of a stream in its regions, or about an agreement there."""
    if scopes is None:
        return "1 = 1", []
    own, own_params = region_clause("h.region_code", scopes)
    linked, linked_params = region_clause("l.region_code", scopes)
    return (f"({own} OR EXISTS (SELECT 1 FROM rm_history_links l "
            f"WHERE l.position = h.position AND {linked}))", [*own_params, *linked_params])


def agreement_history(cur: Cursor, agreement_id: str, after: int, limit: int
                      ) -> tuple[list[dict[str, Any]], int | None]:
    """The agreement's own events and every event about it (enrollments, corrections)."""
    return _page(cur, "h.position IN (SELECT position FROM rm_history_links "
                      "WHERE agreement_id = ?)", [agreement_id], after, limit)


def worker_history(cur: Cursor, nik: str, scopes: list[str] | None, after: int, limit: int
                   ) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = _visible(scopes)
    if scopes is not None:
        # A worker's own facts (registration, corrections) belong to no region.
        visible = f"({visible} OR h.position NOT IN (SELECT position FROM rm_history_links))"
    return _page(cur, f"h.nik = ? AND {visible}", [nik, *params], after, limit)


def global_log(cur: Cursor, scopes: list[str] | None, after: int, limit: int
               ) -> tuple[list[dict[str, Any]], int | None]:
    visible, params = _visible(scopes)
    return _page(cur, visible, params, after, limit)


def backdated(cur: Cursor, min_days: int, scopes: list[str] | None, before: int | None,
              limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """Events recorded more than `min_days` after they took effect, newest first."""
    visible, params = _visible(scopes)
    where = f"h.backdated_days > ? AND {visible}"
    params = [min_days, *params]
    if before is not None:
        where += " AND h.position < ?"
        params.append(before)
    rows = cur.execute(
        f"SELECT {EVENT_COLUMNS}, h.effective_on, h.backdated_days, h.nik "  # noqa: S608
        f"FROM rm_history h WHERE {where} ORDER BY h.position DESC LIMIT ?",
        (*params, limit + 1)).fetchall()
    deaths = _deaths(cur, {r[12] for r in rows[:limit] if r[12]})
    items = [_backdated_item(cur, r, deaths) for r in rows[:limit]]
    return items, (rows[limit - 1][0] if len(rows) > limit else None)


def _deaths(cur: Cursor, niks: set[str]) -> dict[str, date]:
    if not niks:
        return {}
    marks = ", ".join("?" for _ in niks)
    rows = cur.execute(
        "SELECT nik, MIN(effective_on) FROM rm_history WHERE type = 'WorkerDisenrolled' "  # noqa: S608
        f"AND reason_code = 'DECEASED' AND nik IN ({marks}) GROUP BY nik", tuple(niks)).fetchall()
    return {nik: date.fromisoformat(day) for nik, day in rows}


def _backdated_item(cur: Cursor, row: tuple[Any, ...],
                    deaths: dict[str, date]) -> dict[str, Any]:
    event = _event(row[:10])
    effective_on, days, nik = row[10], row[11], row[12]
    recorded_on = datetime.fromisoformat(event["recorded_at"]).astimezone(JAKARTA).date()
    died_on = deaths.get(nik) if nik else None
    agreement_id, agreement_number = _agreement_of(cur, event)
    return {
        **event,
        "nik": nik,
        "agreement_id": agreement_id,
        "agreement_number": agreement_number,
        "effective_on": effective_on,
        "days_backdated": days,
        "died_on": died_on.isoformat() if died_on else None,
        "recorded_after_death": bool(died_on and recorded_on > died_on),
        "recorded_within_30_days_before_death": bool(
            died_on and died_on - timedelta(days=30) <= recorded_on <= died_on),
    }


def _agreement_of(cur: Cursor, event: dict[str, Any]) -> tuple[str | None, str | None]:
    agreement_id = (event["stream"] if event["stream_kind"] == "agreement"
                    else event["data"].get("agreement_id"))
    if agreement_id is None:
        return None, None
    row = cur.execute("SELECT data FROM rm_history WHERE stream_id = ? AND version = 1",
                      (agreement_id,)).fetchone()
    return agreement_id, json.loads(row[0]).get("agreement_number") if row else None
