"""Keeps read models current: catch up from each one's position in the log.

`catch_up()` runs in request handlers (so a read sees every write committed
before it started) and in the background process `registry serve` starts (so
they rarely have to wait). Each batch reads a page of the log once, decodes
each event once, and applies it to every read model at that position, in one
transaction holding their position rows: concurrent catch-ups take turns and
never apply an event twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from projections.agreements import AgreementsProjection
from projections.base import Projection, rebuild_key, shadow_name
from projections.coverage import CoverageProjection
from projections.coverage_queries import active_in_term
from projections.history import HistoryProjection
from projections.ledger import LedgerProjection
from projections.reader import Batch, LogReader
from registry.store.db import Cursor, SqlStore, log_position

T = TypeVar("T")

log = logging.getLogger(__name__)

BATCH = 1000
BULK = 10 * BATCH  # a lag from which a catch-up is a bulk load
CHECKPOINT_PAGES = 10_000  # about 40 MB of write-ahead log between checkpoints
CACHE_KIB = -65_536  # a 64 MB page cache (negative: in KiB)

POSITIONS_DDL = """CREATE TABLE IF NOT EXISTS projection_positions (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL)"""
VERSIONS_DDL = """CREATE TABLE IF NOT EXISTS projection_versions (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL)"""


def all_projections() -> list[Projection]:
    return [AgreementsProjection(), CoverageProjection(), HistoryProjection(),
            LedgerProjection()]


@dataclass(frozen=True)
class Step:
    """One batch: `events` read and decoded once, applied to `projections` read models."""

    events: int
    projections: int


Keyed = Sequence[tuple[str, Projection]]  # (name of the position row, projection)


@dataclass(frozen=True)
class Plan:
    """What a batch moves: the read models at the lowest position `low`, to `stop` at most."""

    low: int
    stop: int
    group: tuple[tuple[str, Projection], ...]


def plan(positions: dict[str, int], keyed: Keyed, head: int) -> Plan | None:
    """The next batch for read models at `positions`; None when all are at `head`."""
    low = min(positions.values(), default=head)
    if low >= head:
        return None
    stop = min([head, *(pos for pos in positions.values() if pos > low)])
    return Plan(low, stop, tuple((key, p) for key, p in keyed if positions[key] == low))


@dataclass(frozen=True)
class Prefetched:
    plan: Plan
    batch: Batch


class ProjectionRunner:
    def __init__(self, app: Any, store: SqlStore,
                 projections: Sequence[Projection] | None = None) -> None:
        self.app = app
        self.store = store
        self.reader = LogReader(app, store.engine)
        self.projections = list(projections or all_projections())
        self.by_name = {p.name: p for p in self.projections}

    def create_tables(self) -> list[str]:
        """Create what is missing. Returns the read models to build again from the
        log before anything reads them: those whose tables another version of the
        registry built (emptied here), and those whose building was interrupted.

        `projection_versions` holds the version a read model's tables are built
        for, negated while they are being built again (`built_again`).
        """
        outdated = []
        with self.store.transaction(write=True) as cur:
            cur.execute(POSITIONS_DDL)
            cur.execute(VERSIONS_DDL)
            built = dict(cur.execute("SELECT name, version FROM projection_versions").fetchall())
            kept = {name for (name,) in cur.execute(
                "SELECT name FROM projection_positions").fetchall()}
            for projection in self.projections:
                # Tables from before versions were recorded are version 1.
                version = built.get(projection.name, 1 if projection.name in kept else None)
                if not projection.in_shape(cur) or version not in (
                        None, projection.version, -projection.version):
                    self._discard(cur, projection, live=True)
                    version = -projection.version
                elif not projection.in_shape(cur, shadow_name):
                    self._discard(cur, projection, live=False)  # a rebuild by another version
                if version == -projection.version:
                    outdated.append(projection.name)
                projection.create_tables(cur)
                cur.execute(
                    "INSERT INTO projection_positions (name, position) VALUES (?, 0) "
                    "ON CONFLICT (name) DO NOTHING", (projection.name,))
                self._record_version(cur, projection.name, version or projection.version)
        return outdated

    def built_again(self, names: Sequence[str]) -> None:
        """The read models `create_tables` returned are built: record their version."""
        with self.store.transaction(write=True) as cur:
            for name in names:
                self._record_version(cur, name, self.by_name[name].version)

    @staticmethod
    def _record_version(cur: Cursor, name: str, version: int) -> None:
        cur.execute("INSERT INTO projection_versions (name, version) VALUES (?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                    (name, version))

    @staticmethod
    def _discard(cur: Cursor, projection: Projection, live: bool) -> None:
        """Drop the read model's half-rebuilt tables and, if `live`, its live ones,
        with their positions."""
        for table in projection.table_names:
            if live:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"DROP TABLE IF EXISTS {shadow_name(table)}")
        for name in [rebuild_key(projection), *([projection.name] if live else [])]:
            cur.execute("DELETE FROM projection_positions WHERE name = ?", (name,))

    def positions(self) -> dict[str, int]:
        with self.store.transaction() as cur:
            rows = cur.execute("SELECT name, position FROM projection_positions").fetchall()
        known = dict(rows)
        return {p.name: int(known.get(p.name, 0)) for p in self.projections}

    def lag(self, head: int | None = None) -> dict[str, int]:
        """Events each read model has yet to apply, to `head` (default: the log's now)."""
        head = self.app.head_position() if head is None else head
        return {name: head - pos for name, pos in self.positions().items()}

    def unbuilt(self) -> list[str]:
        """Read models whose tables are not built for this version of the registry.

        `projection_versions` holds each one's version, negated while it is being
        built again from the log: until that ends its tables hold a part of the
        log, or another version's rows.
        """
        with self.store.transaction() as cur:
            built = dict(cur.execute("SELECT name, version FROM projection_versions").fetchall())
        return [p.name for p in self.projections if built.get(p.name) != p.version]

    def read(self, query: Callable[[Cursor], T]) -> T:
        """`query` over read models as current as the log was when it was called."""
        self.catch_up()
        with self.store.transaction() as cur:
            return query(cur)

    def aggregate(self, load: Callable[[Any], T]) -> T:
        """`load` given the application to read aggregates from (this log's)."""
        return load(self.app)

    def catch_up(self, until: int | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
        """Apply every event up to `until` (default: the head now).

        Returns events applied, summed over the read models.
        """
        if until is None:
            head, low = self._head_and_lowest()
        else:
            head, low = until, min(self.positions().values(), default=until)
        if low >= head:
            return 0  # current: no need to queue for the write lock
        keyed = [(p.name, p) for p in self.projections]
        applied = 0
        with bulk_settings(self.store) if head - low >= BULK else nullcontext():
            while True:
                with self.store.transaction(write=True) as cur:
                    step = self.advance(cur, keyed, head, BATCH)
                if step is None:
                    return applied
                applied += step.events * step.projections
                if progress is not None:
                    progress(step.events)

    def _head_and_lowest(self) -> tuple[int, int]:
        """The log's head and the lowest read-model position, in one query: every
        read asks this first, and almost always learns it has nothing to do."""
        events = self.app.recorder.events_table_name
        position = log_position(self.store.engine)
        names = [p.name for p in self.projections]
        with self.store.transaction() as cur:
            head, low, known = cur.execute(
                f"SELECT (SELECT MAX({position}) FROM {events}), "  # noqa: S608
                "MIN(position), COUNT(*) FROM projection_positions "
                f"WHERE name IN ({', '.join('?' for _ in names)})", names).one()
        head = int(head or 0)
        # A read model without a position row has applied nothing.
        return head, (int(low) if low is not None and known == len(names) else 0)

    def advance(self, cur: Cursor, keyed: Keyed, head: int, limit: int,
                view: Callable[[Cursor], Cursor] | None = None,
                prefetched: Prefetched | None = None) -> Step | None:
        """In the caller's write transaction, move the read models furthest behind
        by up to `limit` events, reading and decoding each event once for all of
        them. None when every one is at `head`.

        The position rows stay locked until the transaction ends: concurrent
        catch-ups take turns and never apply an event twice. Read models at
        different positions (after a partial rebuild) are not mixed: the
        laggards go first, up to the next position, and join the others there.
        `prefetched` is a page read before the transaction began, used if it is
        still the page to apply.
        """
        step = plan(self.lock_positions(cur, [key for key, _ in keyed]), keyed, head)
        if step is None:
            return None
        if prefetched is not None and prefetched.plan == step:
            batch = prefetched.batch
        else:
            batch = self.reader.read(cur, step.low, step.stop, limit)
        if batch:
            target = cur if view is None else view(cur)
            for _, projection in step.group:
                projection.apply(batch, target)
            reached = batch[-1][0]
        elif step.stop < head:
            reached = step.stop  # nothing up to the others' position: join them there
        else:
            return None
        names = [key for key, _ in step.group]
        cur.execute("UPDATE projection_positions SET position = ? "  # noqa: S608
                    f"WHERE name IN ({', '.join('?' for _ in names)})", (reached, *names))
        return Step(len(batch), len(step.group))

    def prefetch(self, keyed: Keyed, head: int, limit: int) -> Prefetched | None:
        """The page `advance` would apply next, read outside any write transaction
        (so a writer that owns these positions holds the write lock only to apply
        it). None when every one is at `head`."""
        names = [key for key, _ in keyed]
        with self.store.transaction() as cur:
            found = dict(cur.execute(
                "SELECT name, position FROM projection_positions "  # noqa: S608
                f"WHERE name IN ({', '.join('?' for _ in names)})", names).fetchall())
            step = plan({name: int(found.get(name, 0)) for name in names}, keyed, head)
            if step is None:
                return None
            return Prefetched(step, self.reader.read(cur, step.low, step.stop, limit))

    def lock_positions(self, cur: Cursor, names: Sequence[str]) -> dict[str, int]:
        """The positions of `names`, locked for this transaction (SQLite's write
        transaction locks everything); a missing row is created at 0."""
        # Always in name order: two transactions locking overlapping sets cannot deadlock.
        lock = " ORDER BY name FOR UPDATE" if self.store.engine == "postgresql" else ""
        marks = ", ".join("?" for _ in names)
        found = dict(cur.execute(
            "SELECT name, position FROM projection_positions "  # noqa: S608
            f"WHERE name IN ({marks}){lock}", tuple(names)).fetchall())
        for name in sorted(set(names) - set(found)):
            cur.execute("INSERT INTO projection_positions (name, position) VALUES (?, 0) "
                        "ON CONFLICT (name) DO NOTHING", (name,))
            found[name] = self.lock_position(cur, name)
        return {name: int(found[name]) for name in names}

    def lock_position(self, cur: Cursor, name: str) -> int:
        lock = " FOR UPDATE" if self.store.engine == "postgresql" else ""
        row = cur.execute(
            "SELECT position FROM projection_positions WHERE name = ?" + lock, (name,)
        ).fetchone()
        return int(row[0]) if row else 0


@contextmanager
def bulk_settings(store: SqlStore) -> Iterator[None]:
    """SQLite settings of this thread's connection for a bulk load, restored after it.

    The write-ahead log is copied into the database every 1,000 pages by
    default: the pages a load keeps appending to would be copied (and synced)
    over and over. Index pages (and an index build's sort) want more than
    the default 2 MB of page cache.
    """
    if store.engine != "sqlite":
        yield
        return
    settings = {"wal_autocheckpoint": CHECKPOINT_PAGES, "cache_size": CACHE_KIB}
    with store.transaction() as cur:
        before = {name: int(cur.execute(f"PRAGMA {name}").one()[0]) for name in settings}
        for name, value in settings.items():
            cur.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with store.transaction() as cur:
            for name, value in before.items():
                cur.execute(f"PRAGMA {name} = {value}")


class ProjectedRoster:
    """The application's Roster, read from the coverage model once it is current."""

    def __init__(self, runner: ProjectionRunner) -> None:
        self.runner = runner

    def active_in_term(self, agreement_id: Any, term_number: int) -> list[tuple[str, str]]:
        self.runner.catch_up()
        with self.runner.store.transaction() as cur:
            return active_in_term(cur, str(agreement_id), term_number)
