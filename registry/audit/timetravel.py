"""Time travel for investigations: the log up to one position, copied into another database.

`registry replay --until POSITION|--known-at T --into DATABASE_URL` (DESIGN.md
section 13) copies here, and builds the read models with `registry replay`'s
own rebuild (`projections/rebuild.py`), in the target (`registry/entrypoints/
timetravel.py`). The source is only read: it may keep taking writes meanwhile,
as nothing up to the position can change.

The copy holds the source's events up to the position exactly as stored, with
their chain links, so its positions, hashes and Merkle tree are the source's:
histories, proofs and certificates read the same bodies from the same places.
Everything is copied as found, even a link that does not verify: a copy of a
tampered log shows the tampering to `registry verify` as the source does.

`--known-at T` means the longest beginning of the log recorded at or before T:
the copy stops before the first event recorded after T. Positions are given in
commit order, and an event is stamped before its save commits, so everything
committed by T lies in that beginning; under concurrent writes, an event
stamped just before T but committed after one stamped later is left out with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from projections.reader import LogReader
from registry.config import Database
from registry.domain.dates import JAKARTA, utc_iso
from registry.domain.errors import RegistryError
from registry.store import copies, tiles
from registry.store.chain import CHAIN_TABLE, GENESIS, canonical_id
from registry.store.db import Cursor, SqlStore, log_position
from registry.store.keyring import install, make_master_key, read_master_key

BATCH = 5000  # events copied per transaction: an interrupted copy resumes from the last
SCAN = 2000  # events read per page while looking for the first recorded after T
Progress = Callable[[int], None]


class BadMoment(ValueError):
    """The position or time asked for cannot be copied; `option` names what was asked."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


class CopyRefused(RegistryError):
    code = "invalid_transition"


@dataclass(frozen=True)
class Moment:
    """What a copy holds: the events up to `position` (`events` of them, the chain's
    link there `head_hash`), asked for as that position or as `known_at`."""

    position: int
    head_hash: str
    events: int
    known_at: datetime | None = None


def parse_known_at(text: str) -> datetime:
    """An ISO 8601 instant with its zone, or a date: the end of that day in WIB."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=JAKARTA)
        moment = datetime.fromisoformat(raw.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise BadMoment("--known-at", f"{text!r} is neither a date (2023-01-31, the end of "
                                      "that day in WIB) nor an ISO instant with its zone "
                                      "(2023-01-31T09:30:00+07:00)") from None
    if moment.tzinfo is None:
        raise BadMoment("--known-at", f"{text!r} has no zone: add one (Z, or +07:00 for WIB), "
                                      "or give a date for the end of that day in WIB")
    return moment


def moment(app: Any, store: SqlStore, until: int | None,
           known_at: datetime | None) -> Moment:
    """The position a copy stops at, checked against the source's log (read only)."""
    option = "--until" if until is not None else "--known-at"
    head = app.head_position()
    if not head:
        raise BadMoment(option, "the source's log is empty: there is nothing to copy")
    if until is not None:
        if until < 1:
            raise BadMoment(option, f"{until} is not a position: they start at 1")
        if until > head:
            raise BadMoment(option, f"{until} is beyond the head of the log ({head})")
        limit = until
    else:
        assert known_at is not None
        if known_at > datetime.now(UTC):
            raise BadMoment(option, f"{utc_iso(known_at)} is in the future: the log is not "
                                    "known there yet")
        limit, first = _known_at(app, store, known_at)
        if not limit:
            raise BadMoment(option, f"nothing was recorded at or before {utc_iso(known_at)}: "
                                    f"the first event was recorded at {first}")
    column = log_position(store.engine)
    events_table = app.recorder.events_table_name
    with store.transaction() as cur:
        position, events = cur.execute(
            f"SELECT MAX({column}), COUNT(*) FROM {events_table} "  # noqa: S608
            f"WHERE {column} <= ?", (limit,)).one()
        found = cur.execute(f"SELECT hash FROM {CHAIN_TABLE} WHERE position <= ? "  # noqa: S608
                            "ORDER BY position DESC LIMIT 1", (position,)).fetchone()
    return Moment(int(position), str(found[0]) if found else GENESIS, int(events), known_at)


def _known_at(app: Any, store: SqlStore, known_at: datetime) -> tuple[int, str]:
    """The position before the first event recorded after `known_at` (the head if
    none was), and when the first event of all was recorded."""
    reader = LogReader(app, store.engine)
    after, head, first = utc_iso(known_at), app.head_position(), ""
    position = 0
    while True:
        with store.transaction() as cur:
            page = reader.read(cur, position, head, SCAN)
        if not page:
            return position, first
        for at, _cls, fields in page:
            # `utc_iso` text: fixed width, so text order is time order.
            first = first or fields["timestamp"]
            if fields["timestamp"] > after:
                return position, first
            position = at


def describe(database: Database) -> str:
    """The database as a URL without its password: what a copy says it was made from."""
    if database.engine == "sqlite":
        return f"sqlite:///{os.path.abspath(database.path)}"
    schema = f"?schema={database.schema}" if database.schema != "public" else ""
    return (f"postgresql://{database.user}@{database.host}:{database.port}/"
            f"{database.dbname}{schema}")


def same_database(source: Database, target: Database) -> bool:
    """Whether the two name one database (and, on PostgreSQL, one schema)."""
    if source.engine != target.engine:
        return False
    if source.engine == "sqlite":
        if os.path.exists(source.path) and os.path.exists(target.path):
            return os.path.samefile(source.path, target.path)
        return os.path.abspath(source.path) == os.path.abspath(target.path)
    if source.schema != target.schema:
        return False
    return _server_identity(source) == _server_identity(target)


def _server_identity(database: Database) -> tuple[Any, ...]:
    """The server and database a PostgreSQL URL reaches, however its host is spelt."""
    import psycopg

    with psycopg.connect(database.conninfo(), autocommit=True) as conn:
        row = conn.execute("SELECT current_database(), inet_server_port(), "
                           "pg_postmaster_start_time()").fetchone()
    return tuple(row or ())


def target_state(app: Any, store: SqlStore, wanted: Moment, source: str) -> str:
    """"new", "resume" or "done": what a copy into this database does next.

    Refuses a database that holds events of its own, or a copy of another
    moment: a copy is never written over (remove it first).
    """
    with store.transaction() as cur:
        mark = copies.read_mark(cur)
        holds_events = bool(cur.columns(CHAIN_TABLE)) and cur.execute(
            f"SELECT 1 FROM {CHAIN_TABLE} LIMIT 1").fetchone() is not None  # noqa: S608
        if cur.columns(app.recorder.events_table_name):
            holds_events = holds_events or cur.execute(
                f"SELECT 1 FROM {app.recorder.events_table_name} LIMIT 1"  # noqa: S608
            ).fetchone() is not None
    if mark is None:
        if holds_events:
            raise CopyRefused("the target already holds a registry of its own (it has events); "
                              "copy into a new database")
        return "new"
    if (mark.position, mark.head_hash) != (wanted.position, wanted.head_hash):
        raise CopyRefused(f"the target already holds {mark.describe()}; remove it first "
                          "(a copy is never written over), or copy into another database")
    if mark.source != source:
        raise CopyRefused(f"the target holds a copy of {mark.source}, not of {source}")
    return "done" if mark.finished else "resume"


def copy_events(source_app: Any, source: SqlStore, target_app: Any, target: SqlStore,
                wanted: Moment, progress: Progress = lambda _n: None) -> int:
    """Copy the events up to `wanted.position` and their links, as stored, and grow the
    tree over them; from where an interrupted copy stopped. Returns events copied."""
    with target.transaction() as cur:  # a link may lie past the last event (tampering)
        linked = cur.execute(f"SELECT MAX(position) FROM {CHAIN_TABLE}").one()[0]  # noqa: S608
    done = max(target_app.head_position(), int(linked or 0))
    if done:
        _check_prefix(source, target, done)
    source_events = source_app.recorder.events_table_name
    target_events = target_app.recorder.events_table_name
    column = log_position(source.engine)
    stream = "originator_id" if source.engine == "sqlite" else "originator_id::text"
    page = (f"SELECT {column}, {stream}, originator_version, topic, state "  # noqa: S608
            f"FROM {source_events} WHERE {column} > ? AND {column} <= ? "
            f"ORDER BY {column} LIMIT ?")
    links = (f"SELECT position, digest, hash FROM {CHAIN_TABLE} "  # noqa: S608
             "WHERE position > ? AND position <= ? ORDER BY position")
    copied = 0
    while done < wanted.position:
        with source.transaction() as cur:
            events = cur.execute(page, (done, wanted.position, BATCH)).fetchall()
            # The last page takes the links up to the position, with or without events.
            last = events[-1][0] if len(events) == BATCH else wanted.position
            chained = cur.execute(links, (done, last)).fetchall()
        with target.transaction(write=True) as cur:
            _insert(cur, target_events, events, chained)
            tiles.catch_up(tiles.TreeCursor(cur))
        done, copied = int(last), copied + len(events)
        progress(len(events))
    if target.engine == "postgresql" and copied:
        with target.transaction(write=True) as cur:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{target_events}', "
                        f"'notification_id'), (SELECT MAX(notification_id) "  # noqa: S608
                        f"FROM {target_events}))")
    return copied


def copy_keys(source: Any, target: Any, master_key_path: str) -> None:
    """The source's keys of personal data, wrapped again under the copy's own master key
    (made at `master_key_path` if there is none), so that the copy opens on its own."""
    if source.app.keyring is None:
        return
    make_master_key(master_key_path)
    master = read_master_key(master_key_path)
    with source.store.snapshot() as cur:
        keys = source.app.keyring.rewrapped(cur, master)
    with target.store.transaction(write=True) as cur:
        install(cur, keys)


def events_in(app: Any, store: SqlStore) -> int:
    """How many events the store holds (a copy, part-built or not)."""
    with store.transaction() as cur:
        return int(cur.execute(
            f"SELECT COUNT(*) FROM {app.recorder.events_table_name}").one()[0])  # noqa: S608


def _insert(cur: Cursor, table: str, events: list[tuple[Any, ...]],
            chained: list[tuple[Any, ...]]) -> None:
    sqlite = cur.engine == "sqlite"
    cur.insert_rows(table, (log_position(cur.engine), "originator_id", "originator_version",
                            "topic", "state"),
                    [(position, UUID(canonical_id(stream)).hex if sqlite
                      else canonical_id(stream), version, topic, bytes(state))
                     for position, stream, version, topic, state in events])
    cur.insert_rows(CHAIN_TABLE, ("position", "digest", "hash"), chained)


def _check_prefix(source: SqlStore, target: SqlStore, position: int) -> None:
    """A resumed copy goes on only from where it matches the source."""
    query = f"SELECT hash FROM {CHAIN_TABLE} WHERE position <= ? ORDER BY position DESC LIMIT 1"  # noqa: S608
    with source.transaction() as cur:
        theirs = cur.execute(query, (position,)).fetchone()
    with target.transaction() as cur:
        ours = cur.execute(query, (position,)).fetchone()
    if theirs != ours:
        raise CopyRefused(f"the copy's log up to position {position} is not the source's; "
                          "remove it and copy again")
