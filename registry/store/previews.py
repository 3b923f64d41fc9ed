"""Corrections previews, kept until applied or expired (`REGISTRY_PREVIEW_TTL_MINUTES`).

A preview holds what a corrections file asks (NIKs, names, dates of death)
and the versions of the streams it read. Like an idempotency record
(registry/store/idempotency.py), the database alone reads nothing of it: the
row is named by the SHA-256 of the token's name and the preview's id, and
its content is sealed with AES-256-GCM under a key derived (HKDF-SHA256) from
both, which only the token that made it presents again, with the id. Another
token asking for the same id finds nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.config import Database
from registry.store.db import SqlStore

TABLE = "correction_previews"
PURGE_BATCH = 200
DDL = (f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    key_digest TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL)""",
       f"CREATE INDEX IF NOT EXISTS {TABLE}_expires_at ON {TABLE} (expires_at)")
_HKDF_INFO = b"registry corrections preview v1"
# Databases whose table this process has made sure of.
_READY: set[Database] = set()


def now() -> datetime:
    """The clock of this module (tests move it)."""
    return datetime.now(UTC)


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class _Secret:
    """What a token's name and a preview id derive: the row's name and its key."""

    def __init__(self, actor: str, preview_id: str) -> None:
        material = f"{actor}\n{preview_id}".encode()
        self.digest = hashlib.sha256(material).hexdigest()
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=_HKDF_INFO).derive(material)
        self._aead = AESGCM(key)

    def seal(self, content: dict[str, Any]) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, json.dumps(content).encode(), self.digest.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, text: str) -> dict[str, Any]:
        raw = base64.b64decode(text)
        content: dict[str, Any] = json.loads(
            self._aead.decrypt(raw[:12], raw[12:], self.digest.encode()))
        return content


class PreviewStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self) -> None:
        """Make the table, once per process and database. Processes that start
        together may all get here: on PostgreSQL they take turns (concurrent
        CREATE TABLE IF NOT EXISTS can fail), on SQLite the write lock does it."""
        if self.store.database in _READY:
            return
        with self.store.transaction(write=True) as cur:
            if self.store.engine == "postgresql":
                cur.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (TABLE,))
            for statement in DDL:
                cur.execute(statement)
        _READY.add(self.store.database)

    def keep(self, actor: str, content: dict[str, Any], ttl: timedelta) -> tuple[str, str]:
        """Keep a preview for `ttl`; its new id, and the key naming it in the log."""
        self.create_table()
        preview_id = secrets.token_hex(16)
        secret = _Secret(actor, preview_id)
        at = now()
        with self.store.transaction(write=True) as cur:
            self._purge(cur, at)
            cur.execute(f"INSERT INTO {TABLE} (key_digest, sealed, created_at, expires_at) "  # noqa: S608
                        "VALUES (?, ?, ?, ?)",
                        (secret.digest, secret.seal(content), _text(at), _text(at + ttl)))
        return preview_id, secret.digest

    def find(self, actor: str, preview_id: str) -> tuple[dict[str, Any], str] | None:
        """The preview the token made with this id, and its key; None if there is
        none, it expired, or another token made it."""
        self.create_table()
        secret = _Secret(actor, preview_id)
        with self.store.transaction() as cur:
            row = cur.execute(f"SELECT sealed FROM {TABLE} WHERE key_digest = ? "  # noqa: S608
                              "AND expires_at > ?", (secret.digest, _text(now()))).fetchone()
        if row is None:
            return None
        try:
            return secret.open(row[0]), secret.digest
        except (InvalidTag, ValueError):
            return None

    def _purge(self, cur: Any, at: datetime) -> None:
        # Bounded, as the idempotency records' purge: no request pays for a backlog.
        skip = " FOR UPDATE SKIP LOCKED" if self.store.engine == "postgresql" else ""
        cur.execute(f"DELETE FROM {TABLE} WHERE key_digest IN (SELECT key_digest FROM {TABLE} "  # noqa: S608
                    f"WHERE expires_at <= ? ORDER BY expires_at LIMIT {PURGE_BATCH}{skip})",
                    (_text(at),))
