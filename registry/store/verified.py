"""How far `GET /audit/integrity` has verified the log, to check on from there next time.

One row: the chain's (position, hash) and the Merkle tree's leaves as last
found intact. Losing it costs one full check, nothing else: it is forgotten
whenever a check finds a problem, so that the next check is a full one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from registry.store.db import SqlStore

TABLE = "integrity_verified"
DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, position BIGINT NOT NULL, "
       "hash TEXT NOT NULL, leaves BIGINT NOT NULL, verified_at TEXT NOT NULL)")
ROW = "log"


@dataclass(frozen=True)
class Verified:
    position: int
    hash: str
    leaves: int


class VerifiedStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(DDL)

    def get(self) -> Verified | None:
        with self.store.transaction() as cur:
            row = cur.execute(f"SELECT position, hash, leaves FROM {TABLE} "  # noqa: S608
                              "WHERE name = ?", (ROW,)).fetchone()
        return Verified(int(row[0]), str(row[1]), int(row[2])) if row else None

    def keep(self, found: Verified) -> None:
        """Remember a newer verified state; two checks at once keep the further one."""
        with self.store.transaction(write=True) as cur:
            cur.execute(f"INSERT INTO {TABLE} (name, position, hash, leaves, verified_at) "  # noqa: S608
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                        "position = excluded.position, hash = excluded.hash, "
                        "leaves = excluded.leaves, verified_at = excluded.verified_at "
                        f"WHERE excluded.position >= {TABLE}.position",
                        (ROW, found.position, found.hash, found.leaves,
                         datetime.now(UTC).isoformat(timespec="seconds")))

    def forget(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE name = ?", (ROW,))  # noqa: S608
