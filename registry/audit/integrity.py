"""Reading the stored log and its chain links, for `verify`, `export` and `/audit/integrity`.

`audit` is what `registry verify` and `GET /audit/integrity` answer: the
chain (`check`), the Merkle tree and the newest checkpoint against the events
(`registry/audit/treecheck.py`), the tokens table against the tokens' events,
and on request the read models against themselves built again from the log. `check` (also
what `registry bench` times) reads, in one read transaction, every event
together with its link in one query, then the snapshots and the events of
the snapshotted streams in two more. Only if the chain disagrees somewhere
does it read the log again, events and links apart, to name the first bad
position.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from registry.audit.treecheck import TreeCheck, check_checkpoint, check_tree
from registry.store.chain import (
    CHAIN_TABLE,
    GENESIS,
    Verification,
    state_bytes,
    verify,
    verify_rows,
)
from registry.store.db import SqlStore, log_position
from registry.store.verified import Verified

if TYPE_CHECKING:
    from projections.check import ReadModelReport

PAGE = 2000
SCAN_PAGE = 1000  # rows per fetch by `check` (bigger pages were slower on PostgreSQL)
PREFETCH = 4  # pages fetched ahead on PostgreSQL


@dataclass
class Audit:
    """The chain, the tokens and (if asked) the read models, each as found."""

    chain: Verification
    token_problems: list[dict[str, str]] = field(default_factory=list)
    read_models: ReadModelReport | None = None
    tree: TreeCheck | None = None

    @property
    def ok(self) -> bool:
        return (self.chain.ok and not self.token_problems
                and (self.tree is None or self.tree.ok)
                and (self.read_models is None or self.read_models.ok))

    def as_dict(self) -> dict[str, Any]:
        body = {**self.chain.as_dict(), "ok": self.ok, "chain_ok": self.chain.ok,
                "token_problems": self.token_problems}
        if self.tree is not None:
            body["tree"] = self.tree.as_dict()
        if self.read_models is not None:
            body["read_models"] = self.read_models.as_dict()
        return body


def audit(registry: Any, expect_head: tuple[int, str] | None = None, *,
          read_models: bool = False,
          progress: Callable[[int], None] = lambda _n: None,
          since: Verified | None = None) -> Audit:
    """Everything `registry verify` checks (`registry` is a `bootstrap.Registry`).

    The chain and the tokens take a moment; `read_models` builds every read
    model again from the log (as long as `registry replay` takes) and compares.
    With `since` (a check that found the log intact), only the chain after its
    position and the tree's leaves after its own are read (registry/audit/incremental.py).
    """
    found = Audit(check(registry.app, registry.store, expect_head,
                        since=None if since is None else (since.position, since.hash)),
                  registry.tokens.problems(),
                  tree=check_checkpoint(registry.log, check_tree(
                      registry.store, 0 if since is None else since.leaves)))
    if read_models:
        from projections import check as read_model_check

        found.read_models = read_model_check.check(registry.projections, progress)
    return found


def stored_events(app: Any) -> Iterator[tuple[int, Any, int, str, bytes]]:
    """(position, stream, version, type, stored bytes) of every event, in order."""
    position = 0
    while True:
        page = app.recorder.select_notifications(start=position, limit=PAGE,
                                                 inclusive_of_start=False)
        if not page:
            return
        for n in page:
            yield n.id, n.originator_id, n.originator_version, n.topic, n.state
        position = page[-1].id


def stored_links(store: SqlStore) -> Iterator[tuple[int, str, str]]:
    position = -1
    while True:
        with store.transaction() as cur:
            rows = cur.execute(
                f"SELECT position, digest, hash FROM {CHAIN_TABLE} "  # noqa: S608
                "WHERE position > ? ORDER BY position LIMIT ?", (position, PAGE)).fetchall()
        if not rows:
            return
        yield from ((int(p), d, h) for p, d, h in rows)
        position = int(rows[-1][0])


def check(app: Any, store: SqlStore, expect_head: tuple[int, str] | None = None, *,
          since: tuple[int, str] | None = None) -> Verification:
    """The chain over every event, then every snapshot against the events it stands for.

    What `registry verify`, `GET /audit/integrity` and `registry bench` call.
    With `since`, a (position, hash) verified before, only the events after it
    are read, chained on from its hash (the stored link at the position must
    still hold it), and only the snapshots of their streams; `checked` counts
    those events. If anything disagrees, the whole log is read to name where.
    """
    with store.snapshot() as cur:  # the events, their links and the snapshots
        after = 0 if since is None else since[0]
        links = int(cur.execute(f"SELECT COUNT(*) FROM {CHAIN_TABLE} "  # noqa: S608
                                "WHERE position > ?", (after,)).one()[0])
        result = None
        if since is None or _link_holds(cur, since):
            with _events_with_links(app, store, cur, after) as pages:
                result = verify_rows(pages, links, expect_head, start=since or (0, GENESIS))
        # The snapshots against the very events just verified: same transaction.
        bad = _first_bad_snapshot(app, store, cur, after) if result is not None else None
    if result is None:
        # Something disagrees: read the two sequences apart to name where.
        result = verify(stored_events(app), stored_links(store), expect_head)
        bad = first_bad_snapshot(app, store) if result.ok else None
    if bad is not None:
        result.ok, result.problem = False, bad
    return result


@contextmanager
def _rows(store: SqlStore, cur: Any, query: str, name: str, *,
          prefetch: bool = False) -> Iterator[Iterator[list[Any]]]:
    """Pages of the query's rows; on PostgreSQL through a server-side cursor, in binary.

    With `prefetch`, PostgreSQL pages are fetched by a thread of their own,
    while the caller works on the previous ones: the wait for the server
    overlaps the hashing instead of adding to it.
    """
    connection = cur._raw.connection  # the driver's, under db.Cursor  # noqa: SLF001
    if store.engine == "sqlite":
        scan = connection.cursor()
        try:
            scan.execute(query)
            yield iter(lambda: scan.fetchmany(SCAN_PAGE), [])
        finally:
            scan.close()
        return
    with connection.cursor(name=name, binary=True) as scan:
        scan.execute(query)
        if not prefetch:
            yield iter(lambda: scan.fetchmany(SCAN_PAGE), [])
            return
        with _prefetched(lambda: scan.fetchmany(SCAN_PAGE)) as pages:
            yield pages


@contextmanager
def _prefetched(fetch: Callable[[], list[Any]]) -> Iterator[Iterator[list[Any]]]:
    """`iter(fetch, [])`, with `fetch` called ahead by a thread, up to PREFETCH pages.

    The thread is the only user of the cursor until it has ended, which it
    has when this block is left, however it is left.
    """
    pages: queue.Queue[list[Any] | BaseException] = queue.Queue(PREFETCH)
    stop = threading.Event()

    def fetch_all() -> None:
        try:
            while not stop.is_set():
                page = fetch()
                pages.put(page)
                if not page:
                    return
        except BaseException as e:  # noqa: BLE001 - raised again in the reading thread
            pages.put(e)

    def read() -> Iterator[list[Any]]:
        while True:
            page = pages.get()
            if isinstance(page, BaseException):
                raise page
            if not page:
                return
            yield page

    fetcher = threading.Thread(target=fetch_all, name="registry-verify-fetch", daemon=True)
    fetcher.start()
    try:
        yield read()
    finally:
        stop.set()
        while fetcher.is_alive():  # unblock a put() on a full queue, then wait it out
            try:
                pages.get_nowait()
            except queue.Empty:
                fetcher.join(0.01)


def _link_holds(cur: Any, since: tuple[int, str]) -> bool:
    """Whether the chain's link at a position verified before still holds its hash."""
    position, hash_ = since
    if position == 0:
        return hash_ == GENESIS
    row = cur.execute(f"SELECT hash FROM {CHAIN_TABLE} WHERE position = ?",  # noqa: S608
                      (position,)).fetchone()
    return row is not None and row[0] == hash_


def _events_with_links(app: Any, store: SqlStore, cur: Any, after: int = 0) -> Any:
    """Pages of (position, stream, version, type, state, digest, hash), in position order:
    each event after `after` with the link at its position (NULLs if there is none),
    in one query."""
    events = app.recorder.events_table_name
    # PostgreSQL's uuid as text is the canonical spelling already.
    position, stream = (("e.rowid", "e.originator_id") if store.engine == "sqlite"
                        else ("e.notification_id", "e.originator_id::text"))
    query = (f"SELECT {position}, {stream}, e.originator_version, e.topic, e.state, "  # noqa: S608
             f"c.digest, c.hash FROM {events} e "
             f"LEFT JOIN {CHAIN_TABLE} c ON c.position = {position} "
             f"WHERE {position} > {int(after)} ORDER BY {position}")
    return _rows(store, cur, query, "registry_verify_events", prefetch=True)


def _first_bad_snapshot(app: Any, store: SqlStore, cur: Any, after: int = 0) -> str | None:
    """`first_bad_snapshot`, in two queries read in `cur`'s transaction.

    One reads every snapshot, the other the events of the snapshotted streams
    up to their newest snapshot, both in stream order; each stream is replayed
    once and snapshotted again at every version it has a snapshot of. Also
    reports a snapshot at a version its stream never reached. With `after`,
    only the streams with an event past that position: a snapshot is taken
    as its stream's event is written, so the others have none newer.
    """
    if app.snapshots is None:
        return None
    snapshots = app.snapshots.recorder.events_table_name
    events = app.recorder.events_table_name
    touched = ""
    if after:
        position = log_position(store.engine)
        touched = (f"WHERE originator_id IN (SELECT originator_id FROM {events} "  # noqa: S608
                   f"WHERE {position} > {int(after)}) ")
    snapshot_query = (f"SELECT originator_id, originator_version, topic, state "  # noqa: S608
                      f"FROM {snapshots} {touched}ORDER BY originator_id, originator_version")
    event_query = (f"SELECT e.originator_id, e.originator_version, e.topic, e.state "  # noqa: S608
                   f"FROM {events} e JOIN (SELECT originator_id, "
                   f"MAX(originator_version) AS newest FROM {snapshots} {touched}"
                   "GROUP BY originator_id) s "
                   "ON e.originator_id = s.originator_id AND e.originator_version <= s.newest "
                   "ORDER BY e.originator_id, e.originator_version")
    with _rows(store, cur, snapshot_query, "registry_verify_snapshots") as snapshot_pages, \
            _rows(store, cur, event_query, "registry_verify_snapshotted") as event_pages:
        stream_events = _by_stream(event_pages)
        pending = next(stream_events, None)
        for stream, stored in _by_stream(snapshot_pages):
            # The events' streams are among the snapshots', in the same order.
            replayed: list[tuple[int, str, Any]] = []
            if pending is not None and pending[0] == stream:
                replayed, pending = pending[1], next(stream_events, None)
            bad = _replay_against(app, stream, replayed, stored)
            if bad is not None:
                return bad
    return None


def _by_stream(pages: Iterator[list[Any]]) -> Iterator[tuple[Any, list[tuple[int, str, Any]]]]:
    """(stream, [(version, type, state), ...]) from pages of rows in stream order."""
    stream: Any = None
    rows: list[tuple[int, str, Any]] = []
    for page in pages:
        for originator_id, version, topic, state in page:
            if originator_id != stream:
                if rows:
                    yield stream, rows
                stream, rows = originator_id, []
            rows.append((version, topic, state))
    if rows:
        yield stream, rows


def _replay_against(app: Any, stream: Any, events: list[tuple[int, str, Any]],
                    snapshots: list[tuple[int, str, Any]]) -> str | None:
    """The first of one stream's snapshots that its events, replayed, contradict."""
    stream_id = stream if isinstance(stream, UUID) else UUID(str(stream))
    if [version for version, _, _ in events] != list(range(1, len(events) + 1)):
        # Not 1, 2, 3...: replay as the store gives them, as it always was.
        bad = _replay_stream(app, stream_id)
        return bad[1] if bad is not None else None
    stored = {version: (topic, state) for version, topic, state in snapshots}
    to_event, to_snapshot = app.events.mapper.to_domain_event, app.snapshots.mapper.to_domain_event
    aggregate = None
    for version, topic, state in events:
        aggregate = to_event(StoredEvent(originator_id=stream_id, originator_version=version,
                                         topic=topic, state=state_bytes(state))).mutate(aggregate)
        if version in stored:
            topic, state = stored[version]
            try:
                snapshot = to_snapshot(StoredEvent(originator_id=stream_id,
                                                   originator_version=version,
                                                   topic=topic, state=bytes(state)))
            except Exception:  # noqa: BLE001 - a snapshot that no longer decodes was changed
                return _mismatch(stream_id, version)
            if not _stands_for(snapshot, aggregate):
                return _mismatch(stream_id, version)
    beyond = [version for version in stored if version > len(events)]
    if beyond:
        return (f"the snapshot of stream {stream_id} at version {min(beyond)} stands for "
                "events the stream does not have; snapshots are caches: delete it and "
                "the events stand")
    return None


def _mismatch(stream_id: Any, version: int) -> str:
    return (f"the snapshot of stream {stream_id} at version {version} does not match its "
            "events; snapshots are caches: delete it and the events stand")


def _replay_stream(app: Any, stream_id: UUID) -> tuple[int, str] | None:
    """(version, problem) of the stream's first snapshot that its replayed events contradict."""
    snapshots = {s.originator_version: s for s in app.snapshots.get(stream_id)}
    if not snapshots:
        return None
    aggregate = None
    for event in app.events.get(stream_id, lte=max(snapshots)):
        aggregate = event.mutate(aggregate)
        snapshot = snapshots.get(event.originator_version)
        if snapshot is not None and not _stands_for(snapshot, aggregate):
            return event.originator_version, _mismatch(stream_id, event.originator_version)
    return None


def _stands_for(snapshot: Any, aggregate: Any) -> bool:
    """Whether the snapshot holds the aggregate's state. A snapshot of an older
    class version is compared as loaded (upcast), as the snapshot taken now would be."""
    try:
        loaded = snapshot.mutate(None)
        return bool(type(snapshot).take(loaded).state == type(snapshot).take(aggregate).state)
    except Exception:  # noqa: BLE001 - a snapshot that no longer loads was changed
        return False


def first_bad_snapshot(app: Any, store: SqlStore) -> str | None:
    """Snapshots are caches outside the chain: each must equal its stream replayed.

    The slow way, stream by stream from the store; `check` does the same from
    the events it has just verified and only falls back to this.
    """
    if app.snapshots is None:
        return None
    table = app.snapshots.recorder.events_table_name
    with store.transaction() as cur:
        streams = [r[0] for r in cur.execute(
            f"SELECT DISTINCT originator_id FROM {table} ORDER BY originator_id"  # noqa: S608
        ).fetchall()]
    for stream in streams:
        bad = _replay_stream(app, UUID(str(stream)))
        if bad is not None:
            return bad[1]
    return None
