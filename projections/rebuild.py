"""`registry replay`: rebuild read models beside the live ones, then switch.

A rebuild writes into shadow tables (`rm_x` becomes `rmnext_x`) with a
position of its own, so the API keeps answering from the live tables the
whole time, and an interrupted rebuild resumes where it stopped. The switch
is one transaction: apply the last events, drop the live tables, rename the
shadow ones into place, and take over the shadow position.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from projections.base import Projection
from projections.runner import BATCH, ProjectionRunner
from registry.db import Cursor

SHADOW = "rmnext_"
_LIVE_NAME = re.compile(r"\brm_(\w+)")


def shadow_name(name: str) -> str:
    return _LIVE_NAME.sub(lambda m: SHADOW + m.group(1), name)


class ShadowCursor(Cursor):
    """A cursor whose statements address the shadow tables instead of the live ones."""

    def __init__(self, cursor: Cursor) -> None:
        super().__init__(cursor._raw, cursor._engine)

    def _sql(self, sql: str) -> str:
        return super()._sql(shadow_name(sql))


def _key(projection: Projection) -> str:
    return projection.name + "#rebuild"


class Rebuild:
    def __init__(self, runner: ProjectionRunner, names: Sequence[str] | None = None) -> None:
        unknown = set(names or ()) - set(runner.by_name)
        if unknown:
            raise ValueError(f"no projection {', '.join(sorted(unknown))}; "
                             f"choose from {', '.join(runner.by_name)}")
        self.runner = runner
        # Fresh instances: their in-memory caches must start empty.
        self.projections = [type(p)() for p in runner.projections
                            if not names or p.name in names]

    def remaining(self) -> int:
        """Events still to apply to the shadow tables (all of them for a new rebuild)."""
        head = self.runner.app.head_position()
        with self.runner.store.transaction() as cur:
            return sum(head - self._position(cur, p) for p in self.projections)

    def run(self, progress: Callable[[int], None] = lambda _n: None,
            max_batches: int | None = None) -> bool:
        """Build, then switch. False if `max_batches` stopped it first (resume later)."""
        batches = 0
        for projection in self.projections:
            self._prepare(projection)
            while True:
                if max_batches is not None and batches >= max_batches:
                    return False
                done = self._batch(projection, self.runner.app.head_position())
                batches += 1
                progress(done)
                if done == 0:
                    break
            self._switch(projection, progress)
        return True

    def _position(self, cur: Cursor, projection: Projection) -> int:
        row = cur.execute("SELECT position FROM projection_positions WHERE name = ?",
                          (_key(projection),)).fetchone()
        return int(row[0]) if row else 0

    def _prepare(self, projection: Projection) -> None:
        with self.runner.store.transaction(write=True) as cur:
            if cur.execute("SELECT 1 FROM projection_positions WHERE name = ?",
                           (_key(projection),)).fetchone():
                return  # resume
            shadow = ShadowCursor(cur)
            for table in projection.table_names:
                shadow.execute(f"DROP TABLE IF EXISTS {table}")
            projection.create_tables(shadow)
            cur.execute("INSERT INTO projection_positions (name, position) VALUES (?, 0)",
                        (_key(projection),))

    def _batch(self, projection: Projection, head: int, cur: Cursor | None = None) -> int:
        if cur is None:
            with self.runner.store.transaction(write=True) as own:
                return self._batch(projection, head, own)
        position = self.runner.lock_position(cur, _key(projection))
        if position >= head:
            return 0
        notifications = self.runner.app.recorder.select_notifications(
            start=position, limit=BATCH, stop=head, inclusive_of_start=False)
        if not notifications:
            return 0
        shadow = ShadowCursor(cur)
        projection.start_batch()
        for notification in notifications:
            projection.process(self.runner.app.mapper.to_domain_event(notification), shadow,
                               notification.id)
        projection.end_batch(shadow)
        cur.execute("UPDATE projection_positions SET position = ? WHERE name = ?",
                    (notifications[-1].id, _key(projection)))
        return len(notifications)

    def _switch(self, projection: Projection, progress: Callable[[int], None]) -> None:
        with self.runner.store.transaction(write=True) as cur:
            # Hold the live position: catch-ups wait, then find the new tables.
            self.runner.lock_position(cur, projection.name)
            head = self.runner.app.head_position()
            while (done := self._batch(projection, head, cur)) > 0:
                progress(done)
            for table in projection.table_names:
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            for table in projection.table_names:
                cur.execute(f"ALTER TABLE {shadow_name(table)} RENAME TO {table}")
            for index in _index_names(projection):
                cur.execute(f"DROP INDEX IF EXISTS {shadow_name(index)}")
            projection.create_tables(cur)  # the live indexes, on the renamed tables
            cur.execute("UPDATE projection_positions SET position = "
                        "(SELECT position FROM projection_positions WHERE name = ?) "
                        "WHERE name = ?", (_key(projection), projection.name))
            cur.execute("DELETE FROM projection_positions WHERE name = ?", (_key(projection),))


def _index_names(projection: Projection) -> list[str]:
    found = (re.search(r"INDEX IF NOT EXISTS (\w+)", ddl) for ddl in projection.tables)
    return [m.group(1) for m in found if m]

