"""Answers to requests sent with an `Idempotency-Key`, kept for their retries.

A key's record goes through three states:
- `running`: a request claimed the key and has written nothing yet;
- `applied`: its events are written. The recorders (registry/store/sqlitestore.py,
  registry/store/pgstore.py) set this, with the position of the last event, in the
  transaction that writes the events, so no crash can separate the two;
- `done`: its answer is kept, to be replayed.

A retry that finds `applied` without an answer (the process died between the
commit and the answer) is told the request was applied, and writes nothing.
A record `running` for longer than ABANDONED_AFTER is taken over by the next
retry; each claim carries its own attempt id, and a write by an attempt whose
key was taken over is refused in its transaction, so one request never writes
twice.

The database alone reads nothing here: a record is named by the SHA-256 of the
token's name and the key; the request's fingerprint is kept as an HMAC and the
answer sealed with AES-256-GCM, under keys derived (HKDF-SHA256) from the
token's name and the key, which only a retry presents. Records expire after a
TTL (`REGISTRY_IDEMPOTENCY_TTL_HOURS`): an expired key is a new key, and
expired records are deleted, a bounded number at a time, as keys are claimed,
and all of them once a minute by the projection process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.domain.context import HeldKey
from registry.domain.errors import ConcurrentUpdate
from registry.store.db import Cursor, SqlStore

TABLE = "idempotency_records"
LEGACY_TABLE = "idempotency_keys"  # earlier versions' answers, in clear
ABANDONED_AFTER = timedelta(minutes=10)
DEFAULT_TTL = timedelta(hours=24)
PURGE_BATCH = 200
DDL = (f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    key_digest TEXT PRIMARY KEY,
    request_mac TEXT NOT NULL,
    attempt TEXT NOT NULL,
    state TEXT NOT NULL,
    position BIGINT,
    answer TEXT,
    created_at TEXT NOT NULL,
    claimed_at TEXT NOT NULL)""",
       f"CREATE INDEX IF NOT EXISTS {TABLE}_created_at ON {TABLE} (created_at)")
_HKDF_INFO = b"registry idempotency record v1"


def mark_applied_sql(table: str = TABLE, placeholder: str = "?") -> str:
    """What the recorders run with the events: (position, digest, attempt).

    It changes one row, or none if another attempt took the key over.
    """
    return (f"UPDATE {table} SET state = 'applied', position = {placeholder} "  # noqa: S608
            f"WHERE key_digest = {placeholder} AND attempt = {placeholder} "
            "AND state IN ('running', 'applied')")


def applied_keys(save_options: dict[str, Any], events: int) -> list[tuple[HeldKey, int]]:
    """The keys a save marks applied, each with the index of its request's last event:
    `idempotency` (one request: the save's last event) or `idempotency_group` (a group
    commit, registry/service/group_commit.py: each request's own)."""
    held: HeldKey | None = save_options.get("idempotency")
    keys: list[tuple[HeldKey, int]] = list(save_options.get("idempotency_group", ()))
    return [(held, events - 1), *keys] if held is not None else keys


def now() -> datetime:
    """The clock of this module (tests move it)."""
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    # One fixed width, so that the text sorts as the time does.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class KeyTakenOver(ConcurrentUpdate):
    """The request's key was taken over by a retry: this attempt must not write."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str


class KeySecret:
    """What a token's name and its key derive: the record's name and its keys."""

    def __init__(self, actor: str, key: str) -> None:
        material = f"{actor}\n{key}".encode()
        self.digest = hashlib.sha256(material).hexdigest()
        derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=None,
                       info=_HKDF_INFO).derive(material)
        self._aead = AESGCM(derived[:32])
        self._mac_key = derived[32:]

    def mac(self, fingerprint: str) -> str:
        return hmac.new(self._mac_key, fingerprint.encode(), hashlib.sha256).hexdigest()

    def seal(self, answer: Answer) -> str:
        plain = json.dumps({"status": answer.status, "headers": answer.headers,
                            "body": answer.body}).encode()
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plain, self.digest.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, text: str) -> Answer:
        """The answer sealed in `text`; InvalidTag if it was not sealed by this key."""
        raw = base64.b64decode(text)
        kept = json.loads(self._aead.decrypt(raw[:12], raw[12:], self.digest.encode()))
        return Answer(kept["status"], kept["headers"], kept["body"])


@dataclass(frozen=True)
class Claim:
    """What claiming a key found.

    `new` (go ahead, holding `held`), `reused` (another request used the key),
    `running` (its first request has not finished), `done` (its `answer`), or
    `lost` (it was applied at `position`; its answer was never kept).
    """

    outcome: str
    secret: KeySecret
    held: HeldKey | None = None
    answer: Answer | None = None
    position: int | None = field(default=None)


class IdempotencyStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self, ttl: timedelta = DEFAULT_TTL) -> None:
        """Create the table; carry over an earlier version's answers, then drop its table."""
        with self.store.transaction(write=True) as cur:
            for statement in DDL:
                cur.execute(statement)
            if cur.columns(LEGACY_TABLE):
                self._carry_over(cur, now() - ttl)
                cur.execute(f"DROP TABLE {LEGACY_TABLE}")

    def claim(self, actor: str, key: str, fingerprint: str, *,
              ttl: timedelta = DEFAULT_TTL) -> Claim:
        """Claim the key for this request, or say what an earlier one left."""
        secret = KeySecret(actor, key)
        mac = secret.mac(fingerprint)
        at = now()
        with self.store.transaction(write=True) as cur:
            self._purge(cur, at - ttl)
            while True:
                # Two first requests racing: exactly one inserts, the other finds its row.
                held = HeldKey(secret.digest, uuid.uuid4().hex)
                cur.execute(f"INSERT INTO {TABLE} (key_digest, request_mac, attempt, state, "  # noqa: S608
                            "created_at, claimed_at) VALUES (?, ?, ?, 'running', ?, ?) "
                            "ON CONFLICT (key_digest) DO NOTHING",
                            (secret.digest, mac, held.attempt, _text(at), _text(at)))
                if cur.rowcount == 1:
                    return Claim("new", secret, held)
                row = self._locked_row(cur, secret.digest)
                if row is not None:  # else another claim's purge deleted it: insert again
                    return self._found(cur, secret, mac, held, row, at, at - ttl)

    def complete(self, held: HeldKey, secret: KeySecret, answer: Answer) -> None:
        """Keep the answer (only the attempt that holds the key may)."""
        with self.store.transaction(write=True) as cur:
            cur.execute(f"UPDATE {TABLE} SET state = 'done', answer = ? "  # noqa: S608
                        "WHERE key_digest = ? AND attempt = ?",
                        (secret.seal(answer), held.digest, held.attempt))

    def release(self, held: HeldKey) -> None:
        """Forget the claim so that a retry runs again; never once something was written."""
        with self.store.transaction(write=True) as cur:
            cur.execute(f"DELETE FROM {TABLE} WHERE key_digest = ? AND attempt = ? "  # noqa: S608
                        "AND state = 'running'", (held.digest, held.attempt))

    def purge_expired(self, ttl: timedelta = DEFAULT_TTL) -> int:
        """Delete every expired record, PURGE_BATCH at a time: the background's share
        of the clean-up (registry/entrypoints/projector.py), for when few keys are
        claimed. Returns how many were deleted."""
        expired_before, total = now() - ttl, 0
        while True:
            with self.store.transaction(write=True) as cur:
                self._purge(cur, expired_before)
                deleted = max(cur.rowcount, 0)
            total += deleted
            if deleted < PURGE_BATCH:
                return total

    def _locked_row(self, cur: Cursor, digest: str) -> tuple[Any, ...] | None:
        lock = " FOR UPDATE" if self.store.engine == "postgresql" else ""
        return cur.execute(f"SELECT request_mac, state, position, answer, created_at, "  # noqa: S608
                           f"claimed_at FROM {TABLE} WHERE key_digest = ?{lock}",
                           (digest,)).fetchone()

    def _found(self, cur: Cursor, secret: KeySecret, mac: str, held: HeldKey,
               row: tuple[Any, ...], at: datetime, expired_before: datetime) -> Claim:
        stored_mac, state, position, answer, created_at, claimed_at = row
        if created_at < _text(expired_before):
            # Not purged yet, but expired: the key is new again.
            cur.execute(f"UPDATE {TABLE} SET request_mac = ?, attempt = ?, state = 'running', "  # noqa: S608
                        "position = NULL, answer = NULL, created_at = ?, claimed_at = ? "
                        "WHERE key_digest = ?",
                        (mac, held.attempt, _text(at), _text(at), secret.digest))
            return Claim("new", secret, held)
        if not hmac.compare_digest(stored_mac, mac):
            return Claim("reused", secret)
        if state == "done":
            try:
                return Claim("done", secret, answer=secret.open(answer), position=position)
            except (InvalidTag, ValueError):
                return Claim("lost", secret, position=position)
        if state == "applied":
            return Claim("lost", secret, position=position)
        if at - datetime.fromisoformat(claimed_at) < ABANDONED_AFTER:
            return Claim("running", secret)
        # The first attempt died before writing anything: this one takes over.
        cur.execute(f"UPDATE {TABLE} SET attempt = ?, claimed_at = ? "  # noqa: S608
                    "WHERE key_digest = ?", (held.attempt, _text(at), secret.digest))
        return Claim("new", secret, held)

    def _purge(self, cur: Cursor, expired_before: datetime) -> None:
        # Bounded, so a claim never pays for a backlog; SKIP LOCKED, so two
        # claims purging at once neither wait for nor deadlock on each other.
        skip = " FOR UPDATE SKIP LOCKED" if self.store.engine == "postgresql" else ""
        cur.execute(f"DELETE FROM {TABLE} WHERE key_digest IN (SELECT key_digest FROM {TABLE} "  # noqa: S608
                    f"WHERE created_at < ? ORDER BY created_at LIMIT {PURGE_BATCH}{skip})",
                    (_text(expired_before),))

    def _carry_over(self, cur: Cursor, expired_before: datetime) -> None:
        """Seal the unexpired 2xx answers an earlier version kept in clear.

        Everything else there is dropped: a refusal wrote nothing, so its retry
        may run again, and a `running` row belonged to a process now gone.
        """
        rows = cur.execute(f"SELECT actor, idempotency_key, request_hash, status, headers, "  # noqa: S608
                           f"body, created_at FROM {LEGACY_TABLE} WHERE state = 'done' "
                           "AND status BETWEEN 200 AND 299").fetchall()
        for actor, key, request_hash, status, headers, body, created_at in rows:
            created = datetime.fromisoformat(created_at)
            if created < expired_before:
                continue
            secret = KeySecret(actor, key)
            sealed = secret.seal(Answer(status, json.loads(headers or "{}"), body or ""))
            cur.execute(f"INSERT INTO {TABLE} (key_digest, request_mac, attempt, state, "  # noqa: S608
                        "answer, created_at, claimed_at) VALUES (?, ?, ?, 'done', ?, ?, ?) "
                        "ON CONFLICT (key_digest) DO NOTHING",
                        (secret.digest, secret.mac(request_hash), uuid.uuid4().hex, sealed,
                         _text(created), _text(created)))
