"""`registry replay`: rebuild read models beside the live ones, then switch.

A rebuild writes into shadow tables (`rm_x` becomes `rmnext_x`) with a
position of its own, so the API keeps answering from the live tables the
whole time, and an interrupted rebuild resumes where it stopped. The shadow
tables are loaded without keys or indexes. The switch is one transaction:
drop the live tables, rename the shadow ones into place, index them, take
over the shadow position, and apply the events written since.

`registry verify --read-models` builds the same way into shadow tables of
its own (`Shadow` CHECK), compares them with the live ones and drops them
(`projections/check.py`): it never switches.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeAlias, TypeVar

from projections.base import REPLAY, Projection, Shadow
from projections.runner import Prefetched, ProjectionRunner, bulk_settings
from registry.store.db import Cursor

T = TypeVar("T")
# Builds a rebuild's shadow tables in place of `Rebuild.build`, e.g. shared by processes.
Builder: TypeAlias = Callable[["Rebuild", Callable[[int], None]], None]

BATCH = 1000  # events per transaction: bigger ones measured no faster
# Events to apply, summed over the read models, from which starting a second
# process pays for itself (the demo's 18,000 events x 3 rebuild faster in one).
SHARED_FROM = 150_000
SWITCH_SECONDS = 0.0002


class _NoThread(Executor):
    """Reads the next page when asked, in this thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - raised where the page is taken
            done.set_exception(error)
        return done


@contextmanager
def _reader(engine: str) -> Iterator[Executor]:
    """Where the next page is read: a thread of its own on SQLite, handing
    Python's lock over sooner meanwhile (the writer's statements are short,
    and each would otherwise wait up to 5 ms for the reader to let go of it)."""
    if engine != "sqlite":
        yield _NoThread()
        return
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_SECONDS)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="replay-read") as reader:
            yield reader
    finally:
        sys.setswitchinterval(before)


class ShadowCursor(Cursor):
    """A cursor whose statements address the shadow tables instead of the live ones."""

    def __init__(self, cursor: Cursor, shadow: Shadow = REPLAY) -> None:
        super().__init__(cursor._raw, cursor._engine)
        self.shadow = shadow

    def _sql(self, sql: str) -> str:
        return super()._sql(self.shadow.name(sql))


class Rebuild:
    def __init__(self, runner: ProjectionRunner, names: Sequence[str] | None = None,
                 shadow: Shadow = REPLAY) -> None:
        unknown = set(names or ()) - set(runner.by_name)
        if unknown:
            raise ValueError(f"no projection {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(runner.by_name)}")
        self.runner = runner
        self.shadow = shadow
        # Fresh instances: their in-memory caches must start empty.
        self.projections = [type(p)() for p in runner.projections
                            if not names or p.name in names]
        self._keyed = [(shadow.key(p), p) for p in self.projections]

    def remaining(self) -> int:
        """Events still to apply to the shadow tables (all of them for a new rebuild)."""
        head = self.runner.app.head_position()
        with self.runner.store.transaction() as cur:
            return sum(head - self._position(cur, p) for p in self.projections)

    def run(self, progress: Callable[[int], None] = lambda _n: None,
            max_batches: int | None = None, share: Builder | None = None) -> bool:
        """Build, then switch. False if `max_batches` stopped it first (resume later).

        `share`, if given, builds the shadow tables instead of this process alone
        (`projections.jobs`, started by an entry point), for a log long enough to
        be worth it.
        """
        self.prepare()
        with bulk_settings(self.runner.store):
            if (share is not None and len(self.projections) > 1 and max_batches is None
                    and self.remaining() >= SHARED_FROM):
                share(self, progress)
            elif not self.build(progress, max_batches):
                return False
            self._switch(progress)
        return True

    def build(self, progress: Callable[[int], None], max_batches: int | None = None) -> bool:
        """Load the shadow tables up to the head, as it moves while they load, so
        the switch (which holds the write lock) has little left to apply. False
        if `max_batches` stopped it first.

        On SQLite a thread reads and decodes the next page while this one
        applies the page before it: SQLite writes in this process without
        holding Python's lock, so the decoding of one page and the writing of
        the other overlap. (On PostgreSQL the server's own process writes; a
        thread reading ahead was measured slower there, on two cores.) Pages
        are read outside the write lock, which is held only to apply them:
        rebuilds in other processes write meanwhile.
        """
        runner, batches = self.runner, 0
        with runner.store.transaction() as cur:
            positions = {key: self._position_of(cur, key) for key, _ in self._keyed}
        with _reader(runner.store.engine) as reader:
            ahead = reader.submit(self._read_ahead, positions)
            while max_batches is None or batches < max_batches:
                prefetched = ahead.result()
                if prefetched is None:
                    return True
                reached = self._reached(prefetched)
                positions.update((key, reached) for key, _ in prefetched.plan.group)
                ahead = reader.submit(self._read_ahead, dict(positions))
                with runner.store.transaction(write=True) as cur:
                    step = runner.advance(cur, self._keyed, prefetched.head, BATCH, self.cursor,
                                          prefetched)
                batches += 1
                if step is not None:
                    progress(step.events * step.projections)
            ahead.cancel()
        return False

    def _read_ahead(self, positions: dict[str, int]) -> Prefetched | None:
        """The page after `positions`, up to the head as it is now; None at the head."""
        head = self.runner.app.head_position()
        return self.runner.prefetch(self._keyed, head, BATCH, positions)

    @staticmethod
    def _reached(prefetched: Prefetched) -> int:
        """Where the page takes the read models it moves (as `advance` records it)."""
        return prefetched.batch[-1][0] if prefetched.batch else prefetched.plan.stop

    def _position_of(self, cur: Cursor, key: str) -> int:
        row = cur.execute("SELECT position FROM projection_positions WHERE name = ?",
                          (key,)).fetchone()
        return int(row[0]) if row else 0

    def cursor(self, cur: Cursor) -> Cursor:
        """`cur`, addressing this rebuild's shadow tables."""
        return ShadowCursor(cur, self.shadow)

    def _position(self, cur: Cursor, projection: Projection) -> int:
        return self._position_of(cur, self.shadow.key(projection))

    def prepare(self) -> None:
        """Shadow tables for a new rebuild; for one resumed, what is loaded stays."""
        with self.runner.store.transaction(write=True) as cur:
            for projection in self.projections:
                projection.deferred_indexes = True  # built by the switch, or when needed
                if cur.execute("SELECT 1 FROM projection_positions WHERE name = ?",
                               (self.shadow.key(projection),)).fetchone():
                    continue  # resume
                shadow = self.cursor(cur)
                for table in projection.table_names:
                    shadow.execute(f"DROP TABLE IF EXISTS {table}")
                projection.create_unkeyed_tables(shadow)
                cur.execute("INSERT INTO projection_positions (name, position) VALUES (?, 0)",
                            (self.shadow.key(projection),))

    def discard(self) -> None:
        """Drop the shadow tables and their positions: what was loaded is forgotten."""
        with self.runner.store.transaction(write=True) as cur:
            for projection in self.projections:
                for table in projection.table_names:
                    cur.execute(f"DROP TABLE IF EXISTS {self.shadow.name(table)}")
                cur.execute("DELETE FROM projection_positions WHERE name = ?",
                            (self.shadow.key(projection),))

    def _switch(self, progress: Callable[[int], None]) -> None:
        """One transaction: the shadow tables become the live ones, indexed, then
        take the events written since the load began."""
        runner = self.runner
        with runner.store.transaction(write=True) as cur:
            # Hold the live positions: catch-ups wait, then find the new tables.
            runner.lock_positions(cur, [name for p in self.projections
                                        for name in (p.name, self.shadow.key(p))])
            for projection in self.projections:
                for table in projection.table_names:
                    cur.execute(f"DROP TABLE IF EXISTS {table}")
                for table in projection.table_names:
                    cur.execute(f"ALTER TABLE {self.shadow.name(table)} RENAME TO {table}")
                for index in projection.index_names():  # built mid-load, if any
                    cur.execute(f"DROP INDEX IF EXISTS {self.shadow.name(index)}")
                projection.create_indexes(cur)
                projection.deferred_indexes = False
                cur.execute("UPDATE projection_positions SET position = "
                            "(SELECT position FROM projection_positions WHERE name = ?) "
                            "WHERE name = ?", (self.shadow.key(projection), projection.name))
                cur.execute("DELETE FROM projection_positions WHERE name = ?",
                            (self.shadow.key(projection),))
            # What was written during the load goes into the indexed tables, as a
            # catch-up would, and in this transaction: no reader sees the tables
            # behind the log they claim to be at.
            live = [(p.name, p) for p in self.projections]
            head = runner.app.head_position()
            while step := runner.advance(cur, live, head, BATCH):
                progress(step.events * step.projections)
