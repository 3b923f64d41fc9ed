"""Stored answers to requests sent with an idempotency key, per token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from registry.db import SqlStore

ABANDONED_AFTER = timedelta(minutes=10)
DDL = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    actor TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, idempotency_key))"""


@dataclass(frozen=True)
class Claim:
    """What claiming a key found: `new` (go ahead), `reused`, `running` or `done`."""

    outcome: str
    status: int | None = None
    headers: str | None = None
    body: str | None = None


class IdempotencyStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(DDL)

    def claim(self, actor: str, key: str, request_hash: str) -> Claim:
        now = datetime.now(UTC)
        lock = " FOR UPDATE" if self.store.engine == "postgresql" else ""
        with self.store.transaction(write=True) as cur:
            # Two first requests racing: exactly one inserts, the other finds its row.
            cur.execute("INSERT INTO idempotency_keys (actor, idempotency_key, request_hash, "
                        "state, created_at) VALUES (?, ?, ?, 'running', ?) "
                        "ON CONFLICT (actor, idempotency_key) DO NOTHING",
                        (actor, key, request_hash, now.isoformat()))
            if cur.rowcount == 1:
                return Claim("new")
            row = cur.execute(
                "SELECT request_hash, state, status, headers, body, created_at "
                "FROM idempotency_keys WHERE actor = ? AND idempotency_key = ?" + lock,
                (actor, key)).fetchone()
            stored_hash, state, status, headers, body, created_at = row
            if stored_hash != request_hash:
                return Claim("reused")
            if state == "done":
                return Claim("done", status, headers, body)
            if now - datetime.fromisoformat(created_at) < ABANDONED_AFTER:
                return Claim("running")
            # The first attempt died without an answer: this one takes over.
            cur.execute("UPDATE idempotency_keys SET created_at = ? "
                        "WHERE actor = ? AND idempotency_key = ?", (now.isoformat(), actor, key))
            return Claim("new")

    def complete(self, actor: str, key: str, status: int, headers: str, body: str) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute("UPDATE idempotency_keys SET state = 'done', status = ?, headers = ?, "
                        "body = ? WHERE actor = ? AND idempotency_key = ?",
                        (status, headers, body, actor, key))

    def release(self, actor: str, key: str) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute("DELETE FROM idempotency_keys WHERE actor = ? AND idempotency_key = ?",
                        (actor, key))
