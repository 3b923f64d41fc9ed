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

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeAlias

from projections.base import REPLAY, Projection, Shadow
from projections.runner import ProjectionRunner, bulk_settings
from registry.store.db import Cursor, SqlStore

# Builds a rebuild's shadow tables in place of `Rebuild.build`, e.g. shared by processes.
Builder: TypeAlias = Callable[["Rebuild", Callable[[int], None]], None]

BATCH = 1000  # events per transaction: bigger ones measured no faster
# Events to apply, summed over the read models, from which starting a second
# process pays for itself (the demo's 18,000 events x 3 rebuild faster in one).
SHARED_FROM = 150_000


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
        with bulk_settings(self.runner.store), keeping_freed_pages(self.runner.store):
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
        if `max_batches` stopped it first."""
        runner, batches = self.runner, 0
        with no_cycle_collection():
            while max_batches is None or batches < max_batches:
                head = runner.app.head_position()
                # The page is read and decoded before taking the write lock, which is
                # then held only to apply it: rebuilds in other processes write meanwhile.
                prefetched = runner.prefetch(self._keyed, head, BATCH)
                if prefetched is None:
                    return True
                with runner.store.transaction(write=True) as cur:
                    if cur.engine == "postgresql":
                        # A page loaded and its position commit together, or not at
                        # all: a crash may lose the last few (the rebuild resumes from
                        # an earlier position), never half of one, so the load need not
                        # wait for each commit to reach the disk. The switch does.
                        cur.execute("SET LOCAL synchronous_commit = off")
                    step = runner.advance(cur, self._keyed, head, BATCH, self.cursor,
                                          prefetched)
                batches += 1
                if step is not None:
                    progress(step.events * step.projections)
        return False

    def cursor(self, cur: Cursor) -> Cursor:
        """`cur`, addressing this rebuild's shadow tables."""
        return ShadowCursor(cur, self.shadow)

    def _position(self, cur: Cursor, projection: Projection) -> int:
        row = cur.execute("SELECT position FROM projection_positions WHERE name = ?",
                          (self.shadow.key(projection),)).fetchone()
        return int(row[0]) if row else 0

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


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a rebuild loads.

    A load allocates about ten containers an event (its fields, the rows made
    of them), none of them in a reference cycle, so the collector finds
    nothing to free; but every 700 allocations it runs, and now and then it
    walks every object the process holds, the read models' caches of
    hundreds of thousands of streams included: 15% of a rebuild's CPU time.
    Reference counting still frees each page once applied.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def keeping_freed_pages(store: SqlStore) -> Iterator[None]:
    """SQLite's `secure_delete` off for this connection while a rebuild runs, as
    SQLite ships it (some builds, Debian's among them, turn it on).

    With it on, dropping the old tables at the switch (and any shadow table
    thrown away) writes every page they held again, as zeros, to the
    write-ahead log and then to the file: as many pages as the tables and
    indexes being built. The pages freed hold what the rebuilt tables hold,
    pseudonyms and sealed text (read models never keep personal data in
    clear), so nothing is left that the live tables do not show. Erasure
    zeroes its own pages, in the event store's transaction
    (registry/store/sqlitestore.py).
    """
    if store.engine != "sqlite":
        yield
        return
    with store.transaction() as cur:
        before = int(cur.execute("PRAGMA secure_delete").one()[0])
        cur.execute("PRAGMA secure_delete = 0")
    try:
        yield
    finally:
        with store.transaction() as cur:
            cur.execute(f"PRAGMA secure_delete = {before}")
