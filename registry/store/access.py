"""Who was refused, or shown, a worker's record: the access records kept per worker.

A refusal about a worker outside the caller's regions is an access too: a
registrar probing NIKs learns at least that a NIK is known. Each one is kept
here (who, when, which route, which worker by its pseudonymous stream id,
never the NIK), and a token that collects too many in an hour is stopped.
Every answer that shows a worker's details is kept as a "shown" record.

The records are one chain: each carries an HMAC-SHA256 over its own fields
and the previous record's MAC, under a key derived from the log's signing key
(a file, never in the database). Whoever can write the table but not read the
key cannot change, insert or remove a record without `verify` finding the
first record that no longer fits. Removing the newest records leaves a chain
that still fits: the chain proves what is kept was never changed, not that
nothing was cut off its end.

Writers in every process keep one chain: each takes the last MAC inside its
write transaction, under SQLite's write lock or a PostgreSQL advisory lock.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.store.access_batches import Batches
from registry.store.db import Cursor, SqlStore

log = logging.getLogger("registry.store.access")

PROBE_WINDOW = timedelta(hours=1)
SHOWN = "shown"
TABLE = "worker_access"
_HKDF_INFO = b"registry access log chain v1"
_VERIFY_PAGE = 10_000
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
    refused INTEGER NOT NULL,
    mac TEXT)"""
INDEXES = ("CREATE INDEX IF NOT EXISTS worker_access_subject ON worker_access (subject, id)",
           "CREATE INDEX IF NOT EXISTS worker_access_refusals ON worker_access (actor, at) "
           "WHERE refused = 1")
# What a record's MAC covers, in this order; `id` only orders the chain.
FIELDS = ("subject", "at", "actor", "role", "route", "request_id", "purpose", "outcome",
          "refused")
Row = tuple[str, str, str, str, str, str, str | None, str, int]


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


@dataclass(frozen=True)
class ChainReport:
    """What `AccessLog.verify` found: every record fits the chain, or the first that does not."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None


def chain_key(signing_key: bytes) -> bytes:
    """The chain's MAC key, derived from the log's signing key (raw private bytes)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_HKDF_INFO).derive(signing_key)


def seal(key: bytes, previous: str, row: Sequence[object]) -> str:
    """A record's MAC: over the previous record's MAC and the record's fields."""
    body = json.dumps([previous, *row], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


class AccessLog:
    def __init__(self, store: SqlStore, signing_key: Callable[[bool], bytes]) -> None:
        self.store = store
        self._signing_key = signing_key
        self._key: bytes | None = None
        self._batches = Batches(self._append)
        atexit.register(self.flush)

    def key(self, create: bool = True) -> bytes:
        """The chain's key; the signing key file is made first if there is none and `create`."""
        if self._key is None:
            self._key = chain_key(self._signing_key(create))
        return self._key

    def create_table(self) -> None:
        with self.store.transaction(write=True) as cur:
            columns = cur.columns(TABLE)
            cur.execute(DDL.format(id=_ID[self.store.engine]))
            for statement in INDEXES:
                cur.execute(statement)
            if columns and "mac" not in columns:
                # Records kept before they were chained are sealed once, as they stand.
                cur.execute(f"ALTER TABLE {TABLE} ADD COLUMN mac TEXT")
                self._seal_unchained(cur)

    # Writing.

    def record(self, access: Access, outcomes: Iterable[tuple[str, str]]) -> None:
        """Keep one record per (worker id, outcome), e.g. ("…", "refused: already_covered"),
        written before this returns (the probe limit counts refusals at once)."""
        at = _now()
        self._append([(subject, at, access.actor, access.role, access.route,
                       access.request_id, access.purpose, outcome,
                       int(outcome.startswith("refused")))
                      for subject, outcome in outcomes])

    def shown(self, access: Access, subjects: Iterable[str]) -> None:
        """Keep one "shown" record per worker id, soon: a background thread writes
        them in batches (`flush` writes what is waiting at once)."""
        at = _now()
        self._batches.add([(subject, at, access.actor, access.role, access.route,
                            access.request_id, access.purpose, SHOWN, 0)
                           for subject in dict.fromkeys(subjects)])

    def flush(self) -> None:
        """Write every record this process holds back, before returning."""
        self._batches.flush()

    def close(self) -> None:
        self._batches.close()
        atexit.unregister(self.flush)

    def _append(self, rows: list[Row]) -> None:
        if not rows:
            return
        key = self.key()
        with self.store.transaction(write=True) as cur:
            previous = self._last_mac(cur)
            sealed = []
            for row in rows:
                previous = seal(key, previous, row)
                sealed.append((*row, previous))
            cur.insert_rows(TABLE, (*FIELDS, "mac"), sealed)

    def _last_mac(self, cur: Cursor) -> str:
        """The newest record's MAC, with the chain held until this transaction ends."""
        if cur.engine == "postgresql":
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
                        (f"{TABLE} chain",))
        row = cur.execute(f"SELECT mac FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()  # noqa: S608
        return str(row[0]) if row and row[0] is not None else ""

    def _seal_unchained(self, cur: Cursor) -> None:
        key, previous = self.key(), ""
        rows = cur.execute(f"SELECT id, {', '.join(FIELDS)} FROM {TABLE} "  # noqa: S608
                           "ORDER BY id").fetchall()
        for found in rows:
            previous = seal(key, previous, found[1:])
            cur.execute(f"UPDATE {TABLE} SET mac = ? WHERE id = ?", (previous, found[0]))  # noqa: S608

    # Reading.

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

    def verify(self) -> ChainReport:
        """Recompute the chain from the first record; the first that does not fit, if any."""
        previous, after, checked = "", 0, 0
        while True:
            with self.store.transaction() as cur:
                rows = cur.execute(
                    f"SELECT id, {', '.join(FIELDS)}, mac FROM {TABLE} "  # noqa: S608
                    "WHERE id > ? ORDER BY id LIMIT ?", (after, _VERIFY_PAGE)).fetchall()
            if not rows:
                return ChainReport(True, checked)
            try:
                # Never a new key: every record would fail under it.
                key = self.key(create=False)
            except (OSError, ValueError) as e:
                return ChainReport(False, checked, None, f"cannot be checked: {e}")
            for found in rows:
                expected = seal(key, previous, found[1:-1])
                if found[-1] is None or not hmac.compare_digest(expected, str(found[-1])):
                    return ChainReport(False, checked, int(found[0]),
                                       "the record, or one before it, was changed, "
                                       "inserted or removed")
                previous, checked = expected, checked + 1
            after = int(rows[-1][0])
