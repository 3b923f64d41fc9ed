"""A copy for investigations: the log up to one position, and who may read it.

`registry replay --until POSITION|--known-at T --into URL` copies the source's
events up to that position, with their chain links, into another database,
builds the Merkle tree and every read model from them there, and marks the
database as a copy (`registry_copy`, one row). The mark is written before the
first event is, so a copy whose building was interrupted is still known as one.

A copy is read-only for good (`registry/service/readonly.py`): its log is, byte
for byte, the first events of the source's, so every position, chain link,
Merkle root and proof is the source's, and a checkpoint signed on it never
contradicts one signed by the source. An event appended to it would break
that. So tokens on a copy are not events: `registry tokens create` against the
copy keeps each in `copy_tokens` (`CopyTokens`, the copy's record of
issuance, as the log is a live registry's), never in any log, and never in the
source. The source's own tokens are not carried over: who may read a copy is
decided for each investigation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from registry.domain.context import Context
from registry.domain.dates import utc_iso
from registry.domain.token import ApiToken
from registry.store.db import Cursor, SqlStore

MARK_TABLE = "registry_copy"
MARK_DDL = f"""CREATE TABLE IF NOT EXISTS {MARK_TABLE} (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL,
    position BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    events BIGINT NOT NULL,
    known_at TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT)"""
TOKENS_TABLE = "copy_tokens"
TOKENS_DDL = f"""CREATE TABLE IF NOT EXISTS {TOKENS_TABLE} (
    token_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    regions TEXT NOT NULL,
    expires_at TEXT,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    reason TEXT)"""


@dataclass(frozen=True)
class CopyMark:
    """What a copy is a copy of: the source (named without its password), the
    position of its last event (`position`, with the chain's `head_hash` there,
    `events` events in all), the record time asked for, if any, and whether it
    is finished."""

    source: str
    position: int
    head_hash: str
    events: int
    known_at: str | None
    started_at: str
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def describe(self) -> str:
        asked = f", as known at {self.known_at}" if self.known_at else ""
        return f"a copy of {self.source} up to position {self.position}{asked}"

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "position": self.position, "head_hash": self.head_hash,
                "events": self.events, "known_at": self.known_at,
                "built_at": self.finished_at}


def _now() -> str:
    return utc_iso(datetime.now(UTC))


def mark_of(store: SqlStore) -> CopyMark | None:
    """The database's mark as a copy; None for a registry of its own."""
    with store.transaction() as cur:
        return read_mark(cur)


def read_mark(cur: Cursor) -> CopyMark | None:
    if not cur.columns(MARK_TABLE):
        return None
    row = cur.execute(f"SELECT source, position, head_hash, events, known_at, "  # noqa: S608
                      f"started_at, finished_at FROM {MARK_TABLE}").fetchone()
    if row is None:
        return None
    return CopyMark(str(row[0]), int(row[1]), str(row[2]), int(row[3]), row[4], str(row[5]),
                    row[6])


def begin(store: SqlStore, source: str, position: int, head_hash: str, events: int,
          known_at: datetime | None) -> CopyMark:
    """Mark the database as a copy being built (before anything is copied into it)."""
    with store.transaction(write=True) as cur:
        cur.execute(MARK_DDL)
        cur.execute(TOKENS_DDL)
        cur.execute(f"INSERT INTO {MARK_TABLE} (id, source, position, head_hash, events, "  # noqa: S608
                    "known_at, started_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (source, position, head_hash, events,
                     utc_iso(known_at) if known_at else None, _now()))
        mark = read_mark(cur)
    assert mark is not None
    return mark


def finish(store: SqlStore) -> None:
    with store.transaction(write=True) as cur:
        cur.execute(f"UPDATE {MARK_TABLE} SET finished_at = ? WHERE id = 1",  # noqa: S608
                    (_now(),))


class CopyTokens:
    """The record of a copy's tokens, in place of the log (`TokenLog`, registry/store/tokens.py).

    `TokenStore` keeps its table of tokens as everywhere and checks each row
    against this record, as it does against the log in a registry of its own.
    """

    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def issue_token(self, ctx: Context, **fields: Any) -> int:
        expires_at: datetime | None = fields["expires_at"]
        with self.store.transaction(write=True) as cur:
            cur.execute(TOKENS_DDL)
            cur.execute(f"INSERT INTO {TOKENS_TABLE} (token_hash, name, role, regions, "  # noqa: S608
                        "expires_at, issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (fields["token_hash"], fields["name"], fields["role"],
                         json.dumps(sorted(set(fields["regions"]))),
                         utc_iso(expires_at) if expires_at else None, _now(), ctx.actor))
        return 0  # no position: nothing is written to the log

    def revoke_token(self, ctx: Context, token_hash: str, reason: str | None = None) -> bool:
        with self.store.transaction(write=True) as cur:
            cur.execute(f"UPDATE {TOKENS_TABLE} SET revoked_at = ?, revoked_by = ?, "  # noqa: S608
                        "reason = ? WHERE token_hash = ? AND revoked_at IS NULL",
                        (_now(), ctx.actor, reason, token_hash))
            return cur.rowcount == 1

    def get_token(self, token_hash: str) -> ApiToken | None:
        """The token as the copy recorded it, as an aggregate that is never saved."""
        with self.store.transaction() as cur:
            if not cur.columns(TOKENS_TABLE):
                return None
            row = cur.execute(f"SELECT name, role, regions, expires_at, issued_by, "  # noqa: S608
                              f"revoked_at, revoked_by FROM {TOKENS_TABLE} "
                              "WHERE token_hash = ?", (token_hash,)).fetchone()
        if row is None:
            return None
        name, role, regions, expires_at, issued_by, revoked_at, revoked_by = row
        token = ApiToken.issue(
            Context(actor=issued_by), name=name, role=role, regions=json.loads(regions),
            token_hash=token_hash,
            expires_at=datetime.fromisoformat(expires_at) if expires_at else None)
        if revoked_at is not None:
            token.revoke(Context(actor=revoked_by or issued_by))
        return token
