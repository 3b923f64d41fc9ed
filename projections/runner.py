"""Keeps read models current: catch up from each one's position in the log.

`catch_up()` runs in request handlers (so a read sees every write committed
before it started) and in the background process `registry serve` starts (so
they rarely have to wait). Each batch holds a lock on the projection's
position row: concurrent catch-ups take turns and never apply an event twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from projections.agreements import AgreementsProjection
from projections.base import Projection
from projections.coverage import CoverageProjection
from projections.coverage_queries import active_in_term
from projections.history import HistoryProjection
from registry.db import Cursor, SqlStore

log = logging.getLogger(__name__)

BATCH = 1000

POSITIONS_DDL = """CREATE TABLE IF NOT EXISTS projection_positions (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL)"""


def all_projections() -> list[Projection]:
    return [AgreementsProjection(), CoverageProjection(), HistoryProjection()]


class ProjectionRunner:
    def __init__(self, app: Any, store: SqlStore,
                 projections: Sequence[Projection] | None = None) -> None:
        self.app = app
        self.store = store
        self.projections = list(projections or all_projections())
        self.by_name = {p.name: p for p in self.projections}

    def create_tables(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(POSITIONS_DDL)
            for projection in self.projections:
                projection.create_tables(cur)
                cur.execute(
                    "INSERT INTO projection_positions (name, position) VALUES (?, 0) "
                    "ON CONFLICT (name) DO NOTHING", (projection.name,))

    def positions(self) -> dict[str, int]:
        with self.store.transaction() as cur:
            rows = cur.execute("SELECT name, position FROM projection_positions").fetchall()
        known = dict(rows)
        return {p.name: int(known.get(p.name, 0)) for p in self.projections}

    def lag(self) -> dict[str, int]:
        head = self.app.head_position()
        return {name: head - pos for name, pos in self.positions().items()}

    def catch_up(self, until: int | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
        """Apply every event up to `until` (default: the head now). Returns events applied."""
        head = self.app.head_position() if until is None else until
        applied = 0
        for index, projection in enumerate(self.projections):
            while True:
                done = self._batch(projection, head)
                applied += done
                if progress is not None and index == len(self.projections) - 1:
                    progress(done)
                if done == 0:
                    break
        return applied

    def _batch(self, projection: Projection, head: int) -> int:
        with self.store.transaction(write=True) as cur:
            position = self.lock_position(cur, projection.name)
            if position >= head:
                return 0
            notifications = self.app.recorder.select_notifications(
                start=position, limit=BATCH, stop=head, inclusive_of_start=False)
            projection.start_batch()
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                projection.process(event, cur, notification.id)
            if not notifications:
                return 0
            projection.end_batch(cur)
            cur.execute("UPDATE projection_positions SET position = ? WHERE name = ?",
                        (notifications[-1].id, projection.name))
            return len(notifications)

    def lock_position(self, cur: Cursor, name: str) -> int:
        lock = " FOR UPDATE" if self.store.engine == "postgresql" else ""
        row = cur.execute(
            "SELECT position FROM projection_positions WHERE name = ?" + lock, (name,)
        ).fetchone()
        return int(row[0]) if row else 0


class ProjectedRoster:
    """The application's Roster, read from the coverage model once it is current."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    def active_in_term(self, agreement_id: Any, term_number: int) -> list[tuple[str, str]]:
        self.runner.catch_up()
        with self.runner.store.transaction() as cur:
            return active_in_term(cur, str(agreement_id), term_number)
