"""The keys that keep personal data: the master key, the blind index, workers' data keys.

- The master key (`REGISTRY_MASTER_KEY_FILE`, 32 random bytes, 0600) is never
  in the database, an export or a log. It only wraps other keys.
- The blind-index key: random, made with the store and kept wrapped by the
  master key. A worker's stream id is HMAC-SHA256 of the NIK under it, so
  holding the database is not enough to confirm a NIK. It is a stored random
  key, not one derived from the master key, so that `registry keys rotate` can
  change the master key without changing every stream id.
- Each worker's data key (`worker_keys`), wrapped by the master key and bound
  to the worker's stream id. Erasure overwrites it with NULL: the row stays, so
  nothing is ever sealed again under a new key for a worker who was forgotten.

A store written before personal data was sealed keeps its workers' streams at
uuid5 of the NIK (`registry.domain.ids`); `clear_before` says whether there are
any, so a NIK is looked for there too only in such a store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.domain.ids import derived_id
from registry.store import files, sealing
from registry.store.chain import canonical_id
from registry.store.db import Cursor, SqlStore, log_position

SETTING = "REGISTRY_MASTER_KEY_FILE"
_HEADER = b"registry master key (AES-256), base64; never in the database or an export\n"
DDL = (
    "CREATE TABLE IF NOT EXISTS privacy_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS worker_keys (worker_id TEXT PRIMARY KEY, wrapped TEXT, "
    "created_at TEXT NOT NULL, erased_at TEXT)",
)
INDEX, CLEAR_BEFORE = "blind_index_key", "clear_before_position"
# How long a process trusts a data key it read: an erasure in another process
# is honoured by this one within that time.
KEY_TTL_SECONDS = 2.0


class PrivacyKeyError(RuntimeError):
    """The master key is missing, unreadable or not this store's; the message says which."""


def read_master_key(path: str | os.PathLike[str]) -> bytes:
    target = Path(path)
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        raise PrivacyKeyError(f"{SETTING}: there is no master key at {target}") from None
    except OSError as e:
        raise PrivacyKeyError(f"{SETTING}: cannot read {target}: {e.strerror}") from None
    try:
        key = base64.b64decode(raw.splitlines()[-1], validate=True)
    except (ValueError, IndexError):
        key = b""
    if len(key) != sealing.KEY_BYTES:
        raise PrivacyKeyError(f"{SETTING}: {target} does not hold a master key "
                              f"(one line of base64 for {sealing.KEY_BYTES} bytes)")
    return key


def make_master_key(path: str | os.PathLike[str]) -> bool:
    """Make a master key at `path` unless there is one; whether this made it."""
    return files.write_new(Path(path), _HEADER + base64.b64encode(sealing.new_key()) + b"\n")


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def create_tables(cur: Cursor) -> None:
    for statement in DDL:
        cur.execute(statement)


class Keyring:
    """One store's keys, opened with its master key."""

    def __init__(self, store: SqlStore, master: bytes, index_key: bytes,
                 clear_before: int) -> None:
        self.store = store
        self._master = master
        self._wrapper = AESGCM(master)  # wraps every new worker's key
        self._index = index_key
        self._index_mac = hmac.new(index_key, digestmod=hashlib.sha256)
        # Events before this position were written without sealing (0: none were).
        self.clear_before = clear_before
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[bytes, float]] = {}
        # Keys made for streams whose first events are being written, as (cipher,
        # wrapped key): stored in the events' own transaction (`rows_for`), so no
        # event is ever stored under a key that was not.
        self._pending: dict[str, tuple[AESGCM, str]] = {}

    @classmethod
    def open(cls, store: SqlStore, path: str, *, create: bool) -> Keyring | None:
        """The store's keyring; with `create`, a store's first one (and the master
        key file, if there is none yet) is made. Nothing is written otherwise: a store
        that is only read and has no keys (written before sealing) has no keyring."""
        with store.transaction() as cur:
            secrets = _secrets(cur)
        if INDEX not in secrets and not create:
            return None
        if INDEX not in secrets and create and not Path(path).exists():
            make_master_key(path)
        elif INDEX in secrets and not Path(path).exists():
            raise PrivacyKeyError(
                f"{SETTING}: there is no master key at {path}, and this store's personal "
                "data is sealed under one: restore the file, or point the setting at it")
        master = read_master_key(path)
        if INDEX not in secrets:
            secrets = _first_secrets(store, master)
        try:
            index_key = sealing.unwrap(master, INDEX, secrets[INDEX])
        except sealing.Unsealable:
            raise PrivacyKeyError(
                f"{SETTING}: the master key in {path} does not open this store's keys "
                "(is it another store's key?)") from None
        return cls(store, master, index_key, int(secrets[CLEAR_BEFORE]))

    def secrets(self) -> tuple[bytes, bytes, int]:
        """(master key, blind-index key, clear_before): to open a copy of the same store."""
        return self._master, self._index, self.clear_before

    # Pseudonyms.

    def worker_id(self, nik: str) -> UUID:
        """The stream id of the worker with this NIK: from its blind index."""
        mac = self._index_mac.copy()  # HMAC's keyed state, made once: cheaper than anew
        mac.update(f"nik:{nik}".encode())
        digest = mac.digest()
        return UUID(bytes=digest[:16], version=5)

    def candidate_ids(self, nik: str) -> tuple[UUID, ...]:
        """Where a NIK's stream may be: its pseudonymous id, and in a store with
        workers registered before sealing, the id their NIK gave them then."""
        if self.clear_before:
            return (self.worker_id(nik), derived_id("worker", nik))
        return (self.worker_id(nik),)

    # Data keys.

    def key(self, stream: Any) -> bytes | None:
        """The worker's data key; None if it has none (never had, or erased)."""
        return self.keys([stream]).get(canonical_id(stream))

    def keys(self, streams: Iterable[Any], cur: Cursor | None = None) -> dict[str, bytes]:
        """The data keys of these workers that still have one, by canonical stream id;
        read in the caller's transaction `cur`, if given."""
        now, found, wanted = time.monotonic(), {}, []
        for stream in {canonical_id(s) for s in streams}:
            cached = self._cache.get(stream)
            if cached is not None and cached[1] > now:
                found[stream] = cached[0]
            else:
                wanted.append(stream)
        for stream, wrapped in self._wrapped(wanted, cur):
            if wrapped is None:
                continue
            key = sealing.unwrap(self._master, stream, wrapped)
            found[stream] = key
            self._cache[stream] = (key, now + KEY_TTL_SECONDS)
        if len(self._cache) > 100_000:
            self._cache.clear()
        return found

    def _wrapped(self, streams: list[str], cur: Cursor | None) -> list[tuple[str, str | None]]:
        if cur is None and streams:
            with self.store.transaction() as own:
                return self._wrapped(streams, own)
        rows: list[tuple[str, str | None]] = []
        for start in range(0, len(streams), 500):
            part = streams[start:start + 500]
            rows += cur.execute(  # type: ignore[union-attr]
                "SELECT worker_id, wrapped FROM worker_keys WHERE worker_id IN "  # noqa: S608
                f"({', '.join('?' * len(part))})", part).fetchall()
        return rows

    def is_erased(self, stream: Any) -> bool:
        with self.store.transaction() as cur:
            row = cur.execute("SELECT erased_at FROM worker_keys WHERE worker_id = ?",
                              (canonical_id(stream),)).fetchone()
        return row is not None and row[0] is not None

    def sealer(self, stream: str, version: int) -> AESGCM:
        """The cipher to seal event `version` of `stream` with: of the key made for the
        stream's first events in this save, else of its own, else of a new one, stored
        with the events (`rows_for`). A stream's first event needs no look-up: no key
        can be stored for a stream that is not."""
        pending = self._pending.get(stream)  # one dict read: atomic under the GIL
        if pending is not None:
            return pending[0]
        if version > 1:
            key = self.key(stream)
            if key is not None:
                return AESGCM(key)
            if self.is_erased(stream):
                raise PrivacyKeyError(f"worker {stream} was erased: nothing personal "
                                      "is recorded about them again")
        key = sealing.new_key()
        made = (AESGCM(key), sealing.wrap(self._wrapper, stream, key))
        with self._lock:
            return self._pending.setdefault(stream, made)[0]

    def rows_for(self, streams: Iterable[Any]) -> list[tuple[str, str, str]]:
        """(worker_id, wrapped, created_at) of the new keys these streams' events use,
        for the transaction that writes the events."""
        if not self._pending:
            return []
        now = _now()
        with self._lock:
            return [(stream, self._pending[stream][1], now)
                    for stream in _canonical(streams) if stream in self._pending]

    def stored(self, streams: Iterable[Any]) -> None:
        """The events (and so the new keys) of these streams are committed, or were not
        and never will be as sealed: either way, their keys are no longer pending."""
        if not self._pending:
            return
        with self._lock:
            for stream in _canonical(streams):
                self._pending.pop(stream, None)

    def forget(self, stream: Any) -> None:
        """Drop what this process holds of an erased worker's key."""
        stream = canonical_id(stream)
        with self._lock:
            self._cache.pop(stream, None)
            self._pending.pop(stream, None)

    def scrub(self) -> None:
        """After an erasure on PostgreSQL: reclaim the row versions that still held the
        wrapped key, so that it is not left in the table's dead tuples."""
        if self.store.engine == "postgresql":
            with self.store.transaction() as cur:  # autocommit: VACUUM runs outside one
                cur.execute("VACUUM worker_keys")

    # The master key.

    def rotate(self, new_master: bytes) -> int:
        """Wrap every key again under `new_master`, in one transaction; how many."""
        with self.store.transaction(write=True) as cur:
            rows = cur.execute(
                "SELECT worker_id, wrapped FROM worker_keys WHERE wrapped IS NOT NULL"
            ).fetchall()
            rewrapped = [(sealing.wrap(new_master, stream,
                                       sealing.unwrap(self._master, stream, wrapped)), stream)
                         for stream, wrapped in rows]
            cur.executemany("UPDATE worker_keys SET wrapped = ? WHERE worker_id = ?", rewrapped)
            cur.execute("UPDATE privacy_secrets SET value = ? WHERE name = ?",
                        (sealing.wrap(new_master, INDEX, self._index), INDEX))
        self._master = new_master
        self._wrapper = AESGCM(new_master)
        self._cache.clear()
        return len(rewrapped)

    def opens(self, wrapped_index: str) -> bool:
        """Whether a wrapped blind-index key (an export's) opens under this master key."""
        try:
            sealing.unwrap(self._master, INDEX, wrapped_index)
        except sealing.Unsealable:
            return False
        return True

    def clear_export(self, head: int) -> dict[str, Any]:
        """What an export from before sealing stands for: no keys, this store's index, and
        every event up to `head` possibly in clear (its workers under uuid5 of the NIK)."""
        return {"index": sealing.wrap(self._master, INDEX, self._index),
                "clear_before": head, "workers": []}

    def exported(self, cur: Cursor) -> dict[str, Any]:
        """What an export carries of the keys: all wrapped, useless without the master key."""
        return {"index": _secrets(cur)[INDEX], "clear_before": self.clear_before,
                "workers": [list(r) for r in cur.execute(
                    "SELECT worker_id, wrapped, created_at, erased_at FROM worker_keys "
                    "ORDER BY worker_id").fetchall()]}

    def rewrapped(self, cur: Cursor, master: bytes) -> dict[str, Any]:
        """`exported`, every key wrapped under `master` instead: for a copy of the store
        (`registry replay --into`) that has a master key of its own."""
        found = self.exported(cur)
        return {"index": sealing.wrap(master, INDEX, self._index),
                "clear_before": found["clear_before"],
                "workers": [[stream, None if wrapped is None else sealing.wrap(
                    master, stream, sealing.unwrap(self._master, stream, wrapped)), *rest]
                    for stream, wrapped, *rest in found["workers"]]}

    def adopt(self, cur: Cursor, exported: dict[str, Any]) -> None:
        """Take an export's keys into this (empty) store, in the import's transaction."""
        install(cur, exported)
        self._index = sealing.unwrap(self._master, INDEX, exported["index"])
        self._index_mac = hmac.new(self._index, digestmod=hashlib.sha256)
        self.clear_before = int(exported["clear_before"])
        self._cache.clear()


def install(cur: Cursor, exported: dict[str, Any]) -> None:
    """Make these (exported) keys a store's, replacing any it had."""
    create_tables(cur)
    cur.execute("DELETE FROM privacy_secrets")
    cur.executemany("INSERT INTO privacy_secrets (name, value) VALUES (?, ?)",
                    [(INDEX, exported["index"]), (CLEAR_BEFORE, str(exported["clear_before"]))])
    cur.execute("DELETE FROM worker_keys")
    cur.executemany("INSERT INTO worker_keys (worker_id, wrapped, created_at, erased_at) "
                    "VALUES (?, ?, ?, ?)", [tuple(r) for r in exported["workers"]])


def _canonical(streams: Iterable[Any]) -> set[str]:
    # Each stream once before it is spelled out: a batch names each of its workers twice.
    return {canonical_id(s) for s in set(streams)}


def _secrets(cur: Cursor) -> dict[str, str]:
    try:
        return dict(cur.execute("SELECT name, value FROM privacy_secrets").fetchall())
    except Exception as e:  # noqa: BLE001 - a store older than its table
        if "privacy_secrets" in str(e):
            return {}
        raise


def _first_secrets(store: SqlStore, master: bytes) -> dict[str, str]:
    """Make the store's blind-index key; mark where sealing began. Two processes
    opening a new store at once end up with the first one's."""
    with store.transaction(write=True) as cur:
        create_tables(cur)
        table, position = events_table(store.engine), log_position(store.engine)
        # One look, once per store: were workers registered before sealing began?
        clear = cur.execute(f"SELECT 1 FROM {table} WHERE topic = ? LIMIT 1",  # noqa: S608
                            ("WorkerRegistered",)).fetchone()
        head = cur.execute(f"SELECT MAX({position}) FROM {table}").one()[0] or 0  # noqa: S608
        for name, value in ((INDEX, sealing.wrap(master, INDEX, sealing.new_key())),
                            (CLEAR_BEFORE, str(head + 1 if clear else 0))):
            cur.execute("INSERT INTO privacy_secrets (name, value) VALUES (?, ?) "
                        "ON CONFLICT (name) DO NOTHING", (name, value))
        return _secrets(cur)


def events_table(engine: str) -> str:
    return "stored_events" if engine == "sqlite" else "registry_events"


def events_in_clear(keyring: Keyring) -> int:
    """How many events hold a personal field in clear. Only those before sealing began
    can: everything written since went through the sealing mapper."""
    if not keyring.clear_before:
        return 0
    store = keyring.store
    table, position = events_table(store.engine), log_position(store.engine)
    topics = list(sealing.PERSONAL)
    count = 0
    with store.transaction() as cur:
        for topic, state in cur.execute(
                f"SELECT topic, state FROM {table} WHERE {position} < ? AND topic IN "  # noqa: S608
                f"({', '.join('?' * len(topics))})", (keyring.clear_before, *topics)).fetchall():
            fields = json.loads(bytes(state))
            count += any(fields.get(f) is not None and not sealing.is_sealed(fields[f])
                         for f in sealing.PERSONAL[topic])
    return count
