"""`registry verify --read-models`: the read models against themselves built again from the log.

The hash chain vouches for the log, not for the rows derived from it: a
coverage end edited by hand to 2099 answers `covered: true` while the log
verifies. So the check builds every read model again into shadow tables of
its own (`CHECK`, the way `registry replay` builds, `projections/rebuild.py`),
brings each to the position of its live tables, compares every row of every
table in SQL, names the differences, and drops the shadow tables, whatever
happens. Nothing it does changes what the API answers.

Comparing needs both sides at one position of the log. That is first sought
in a read snapshot, which stops no one; while writes keep moving the live
tables past it, after `ATTEMPTS` tries the comparison is made holding the
read model's position rows instead (catch-ups wait meanwhile, as they do for
a replay's switch).
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from projections.base import CHECK, Projection
from projections.rebuild import BATCH, Rebuild
from projections.runner import ProjectionRunner, bulk_settings
from registry.domain.errors import ConcurrentUpdate
from registry.store.db import Cursor, SqlStore

LIMIT = 100  # differing rows named, over all tables; every one is counted
ATTEMPTS = 5
VALUE_CHARS = 200  # a longer value (an agreement's document) is cut to this


@dataclasses.dataclass(frozen=True)
class Difference:
    """One way a live row differs from the row built again from the log."""

    table: str
    key: dict[str, Any]
    # "changed" (`column` has `live` and `rebuilt` values), or a row that is
    # "only_live" or "only_rebuilt" (then column and values are None).
    kind: str
    column: str | None = None
    live: Any = None
    rebuilt: Any = None

    def describe(self) -> str:
        where = f"{self.table} ({', '.join(f'{k}={v}' for k, v in self.key.items())})"
        if self.kind == "only_live":
            return f"{where}: a live row the log does not give"
        if self.kind == "only_rebuilt":
            return f"{where}: a row the log gives is missing from the live table"
        return f"{where}: {self.column} is {self.live!r} live, {self.rebuilt!r} from the log"


@dataclasses.dataclass
class ReadModelReport:
    """What `check` found: tables and rows compared, the rows that differ."""

    tables: int = 0
    rows: int = 0
    differing_rows: int = 0
    differences: list[Difference] = dataclasses.field(default_factory=list)
    shown_rows: int = 0

    @property
    def ok(self) -> bool:
        return self.differing_rows == 0

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "tables": self.tables, "rows": self.rows,
                "differing_rows": self.differing_rows, "shown_rows": self.shown_rows,
                "differences": [dataclasses.asdict(d) for d in self.differences]}


class CheckRunning(ConcurrentUpdate):
    """Another read-model check is running on this database."""


def work(runner: ProjectionRunner) -> int:
    """Events a check applies, summed over the read models: for a progress bar."""
    return runner.app.head_position() * len(runner.projections)


def check(runner: ProjectionRunner, progress: Callable[[int], None] = lambda _n: None,
          limit: int = LIMIT, attempts: int = ATTEMPTS) -> ReadModelReport:
    """Build the read models again beside the live ones, compare, drop what was built."""
    rebuild = Rebuild(runner, shadow=CHECK)
    with _alone(runner.store):
        rebuild.discard()  # left by a check killed midway
        try:
            rebuild.prepare()
            with bulk_settings(runner.store):
                rebuild.build(progress)
            report = ReadModelReport()
            for fresh in rebuild.projections:
                with _aligned(runner, rebuild, fresh, attempts) as cur:
                    _compare(cur, fresh, report, limit)
            return report
        finally:
            rebuild.discard()


@contextmanager
def _aligned(runner: ProjectionRunner, rebuild: Rebuild, fresh: Projection,
             attempts: int) -> Iterator[Cursor]:
    """A cursor that sees the read model's live and shadow tables at one position."""
    live, key = runner.by_name[fresh.name], CHECK.key(fresh)
    for _ in range(attempts):
        runner.catch_up()
        with _snapshot(runner.store) as cur:
            at = dict(cur.execute("SELECT name, position FROM projection_positions "
                                  "WHERE name IN (?, ?)", (live.name, key)).fetchall())
            if at.get(live.name) == at.get(key):
                yield cur
                return
        with runner.store.transaction(write=True) as cur:
            while runner.advance(cur, [(key, fresh)], int(at.get(live.name, 0)), BATCH,
                                 rebuild.cursor):
                pass
    with runner.store.transaction(write=True) as cur:
        runner.lock_positions(cur, sorted((live.name, key)))
        head = runner.app.head_position()
        while runner.advance(cur, [(key, fresh)], head, BATCH, rebuild.cursor):
            pass
        while runner.advance(cur, [(live.name, live)], head, BATCH):
            pass
        yield cur


@contextmanager
def _snapshot(store: SqlStore) -> Iterator[Cursor]:
    with store.transaction(snapshot=True) as cur:
        if store.engine == "postgresql":
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield cur


def _compare(cur: Cursor, projection: Projection, report: ReadModelReport, limit: int) -> None:
    """Compare each of the read model's tables with its shadow, in SQL: rows on one
    side only (EXCEPT both ways), paired by primary key where both sides have one."""
    for table, columns, key in projection.shapes():
        shadow, names, keys = CHECK.name(table), ", ".join(columns), ", ".join(key)
        only_live = f"SELECT {names} FROM {table} EXCEPT SELECT {names} FROM {shadow}"
        only_rebuilt = f"SELECT {names} FROM {shadow} EXCEPT SELECT {names} FROM {table}"
        report.tables += 1
        report.rows += _count(cur, f"SELECT COUNT(*) FROM {table}")
        differing = _count(cur, f"SELECT COUNT(*) FROM (SELECT {keys} FROM ({only_live}) a "
                                f"UNION SELECT {keys} FROM ({only_rebuilt}) b) d")
        report.differing_rows += differing
        room = limit - report.shown_rows
        if differing == 0 or room <= 0:
            continue
        # Sorted by key, then side: the two rows of a key are next to each other.
        rows = cur.execute(
            f"SELECT * FROM (SELECT 0 AS side, {names} FROM ({only_live}) a "  # noqa: S608
            f"UNION ALL SELECT 1 AS side, {names} FROM ({only_rebuilt}) b) d "
            f"ORDER BY {keys}, side LIMIT ?", (2 * room + 1,)).fetchall()
        groups = _by_key(rows, [columns.index(k) + 1 for k in key])
        if len(rows) > 2 * room:
            groups.pop()  # the last key's other row may lie past the limit
        for sides in groups[:room]:
            report.differences += _differences(table, columns, key, sides)
            report.shown_rows += 1


def _count(cur: Cursor, query: str) -> int:
    row = cur.execute(query).fetchone()
    return int(row[0]) if row else 0


def _by_key(rows: list[tuple[Any, ...]], key_at: list[int]) -> list[dict[int, tuple[Any, ...]]]:
    """Consecutive rows of one key, as {side: row}."""
    groups: list[dict[int, tuple[Any, ...]]] = []
    last: tuple[Any, ...] | None = None
    for row in rows:
        key = tuple(row[i] for i in key_at)
        if key != last:
            groups.append({})
            last = key
        groups[-1].setdefault(row[0], row[1:])
    return groups


def _differences(table: str, columns: list[str], key: list[str],
                 sides: dict[int, tuple[Any, ...]]) -> list[Difference]:
    live, rebuilt = sides.get(0), sides.get(1)
    some: tuple[Any, ...] = live if live is not None else sides[1]
    where = {k: some[columns.index(k)] for k in key}
    if rebuilt is None:
        return [Difference(table, where, "only_live")]
    if live is None:
        return [Difference(table, where, "only_rebuilt")]
    return [Difference(table, where, "changed", column, _shown(a), _shown(b))
            for column, a, b in zip(columns, live, rebuilt, strict=True) if a != b]


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > VALUE_CHARS:
        return value[:VALUE_CHARS] + "..."
    return value


@contextmanager
def _alone(store: SqlStore) -> Iterator[None]:
    """One check at a time per database, as they share their shadow tables.

    The lock belongs to the process (a file lock on SQLite, an advisory lock
    of a connection of its own on PostgreSQL): a check killed midway holds
    it no longer, and the next one drops what it left.
    """
    busy = CheckRunning("another read-model check is running on this database; "
                        "try again when it has finished")
    if store.engine == "sqlite":
        descriptor = os.open(os.path.abspath(store.database.path) + ".check.lock",
                             os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise busy from None
            yield
        finally:
            os.close(descriptor)  # and with it the lock
        return
    import psycopg

    database = store.database
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        # Advisory locks are per server database: this schema's check has its own key.
        name = f"registry.read_model_check:{database.schema}"
        row = connection.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                                 (name,)).fetchone()
        if row is None or not row[0]:
            raise busy
        yield  # released with the connection
