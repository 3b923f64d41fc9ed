"""Who was refused, or shown, a worker's record: the access records kept per worker.

A refusal about a worker outside the caller's regions is an access too: a
registrar probing NIKs learns at least that a NIK is known. Each one is kept
here (who, when, which route, which worker by its pseudonymous stream id,
never the NIK), and a token that collects too many in an hour is stopped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from registry.store.db import SqlStore

PROBE_WINDOW = timedelta(hours=1)
_ID = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
       "postgresql": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"}
DDL = """CREATE TABLE IF NOT EXISTS worker_access (
    id {id},
    subject TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    route TEXT NOT NULL,
    request_id TEXT NOT NULL,
    purpose TEXT,
    outcome TEXT NOT NULL,
    refused INTEGER NOT NULL)"""
INDEXES = ("CREATE INDEX IF NOT EXISTS worker_access_subject ON worker_access (subject, id)",
           "CREATE INDEX IF NOT EXISTS worker_access_refusals ON worker_access (actor, at) "
           "WHERE refused = 1")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Access:
    """One request that touched a worker's record."""

    actor: str
    role: str
    route: str
    request_id: str
    purpose: str | None = None


class AccessLog:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(DDL.format(id=_ID[self.store.engine]))
            for statement in INDEXES:
                cur.execute(statement)

    def record(self, access: Access, outcomes: Iterable[tuple[str, str]]) -> None:
        """Keep one record per (worker id, outcome), e.g. ("…", "refused: already_covered")."""
        at = _now()
        rows = [(subject, at, access.actor, access.role, access.route, access.request_id,
                 access.purpose, outcome, int(outcome.startswith("refused")))
                for subject, outcome in outcomes]
        if not rows:
            return
        with self.store.transaction(write=True) as cur:
            cur.executemany(
                "INSERT INTO worker_access (subject, at, actor, role, route, request_id, "
                "purpose, outcome, refused) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def refusals_within_the_hour(self, actor: str) -> int:
        since = (datetime.now(UTC) - PROBE_WINDOW).isoformat().replace("+00:00", "Z")
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT COUNT(*) FROM worker_access WHERE actor = ? AND at > ? AND refused = 1",
                (actor, since)).fetchone()
        return int(row[0]) if row else 0

    def of_worker(self, subject: str, after: int, limit: int
                  ) -> tuple[list[dict[str, object]], int | None]:
        """The worker's access records, oldest first, a page after the cursor `after`."""
        with self.store.transaction() as cur:
            rows = cur.execute(
                "SELECT id, at, actor, role, route, request_id, purpose, outcome "
                "FROM worker_access WHERE subject = ? AND id > ? ORDER BY id LIMIT ?",
                (subject, after, limit + 1)).fetchall()
        keys = ("id", "at", "actor", "role", "route", "request_id", "purpose", "outcome")
        items = [dict(zip(keys, r, strict=True)) for r in rows[:limit]]
        return items, (int(rows[limit - 1][0]) if len(rows) > limit else None)
