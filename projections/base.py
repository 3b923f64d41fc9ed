"""What a read model implements."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable
from typing import Any

from projections.reader import Batch, Fields
from registry.store.db import Cursor

# (projection, the event's fields, cursor, position)
Handler = Callable[[Any, Fields, Cursor, int], None]


def handles(*event_types: type) -> Callable[[Handler], Handler]:
    """Mark a method as how the projection applies events of these types."""

    def mark(method: Handler) -> Handler:
        method._handles = event_types  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """A read model: its tables, and how each event changes them."""

    name: str = ""
    # The shape of its tables: a new version (rows or columns that mean something
    # else) makes `ProjectionRunner.create_tables` throw the old ones away.
    version: int = 1
    # What a rebuild spends on it per event, next to the others: how a rebuild in
    # several processes shares them out (`projections.jobs`).
    rebuild_cost: float = 1.0
    tables: tuple[str, ...] = ()  # CREATE TABLE / CREATE INDEX IF NOT EXISTS statements
    table_names: tuple[str, ...] = ()
    _handlers: dict[type, Handler] = {}
    _resolved: dict[type, Handler | None] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A dict lookup by type per event: functools.singledispatchmethod builds a
        # new bound wrapper on every call, which cost more than most handlers.
        handlers = dict(cls._handlers)
        for value in cls.__dict__.values():
            for event_type in getattr(value, "_handles", ()):
                handlers[event_type] = value
        cls._handlers = handlers
        cls._resolved = {}

    @classmethod
    def handler(cls, event_type: type) -> Handler | None:
        """The method for this type of event (a subclass uses its base's), or None."""
        try:
            return cls._resolved[event_type]
        except KeyError:
            found = next((cls._handlers[t] for t in event_type.__mro__ if t in cls._handlers),
                         None)
            cls._resolved[event_type] = found
            return found

    def create_tables(self, cur: Cursor) -> None:
        """The tables as declared, keys and indexes with them (live tables)."""
        for ddl in self.tables:
            cur.execute(ddl)

    # A rebuild loads into tables without keys or indexes and indexes them once
    # loaded: keeping an index on random ids (uuids, NIKs) up to date costs a
    # bulk load more than its rows do, and its pages are rewritten by every
    # commit. The keys become unique indexes of the same columns.

    def create_unkeyed_tables(self, cur: Cursor) -> None:
        for ddl in self.tables:
            if _is_table(ddl):
                cur.execute(unkeyed(ddl))

    def indexes(self) -> list[str]:
        """CREATE INDEX statements for the unkeyed tables: their keys, then the rest."""
        keys = [key for ddl in self.tables if _is_table(ddl) for key in key_indexes(ddl)]
        return keys + [ddl for ddl in self.tables if not _is_table(ddl)]

    def in_shape(self, cur: Cursor, named: Callable[[str], str] = str) -> bool:
        """Whether each of its tables that exists (each `named(table)`: the shadow
        of a rebuild, say) has the columns declared: not if another version of
        the registry built it (after a downgrade, say)."""
        for ddl in self.tables:
            if _is_table(ddl):
                found = cur.columns(named(_table_name(ddl)))
                if found and sorted(found) != sorted(declared_columns(ddl)):
                    return False
        return True

    def shapes(self) -> list[tuple[str, list[str], list[str]]]:
        """(table, its columns, its primary key's columns) of each of its tables."""
        return [(_table_name(ddl), declared_columns(ddl), primary_key(ddl))
                for ddl in self.tables if _is_table(ddl)]

    def create_indexes(self, cur: Cursor) -> None:
        for ddl in self.indexes():
            cur.execute(ddl)

    def index_names(self) -> list[str]:
        found = (re.search(r"INDEX IF NOT EXISTS (\w+)", ddl) for ddl in self.indexes())
        return [m.group(1) for m in found if m]

    def apply(self, batch: Batch, cur: Cursor) -> None:
        """Apply a page of the log; the caller saves the position in the same transaction."""
        self.start_batch()
        self.handle(batch, cur)
        self.end_batch(cur)

    def handle(self, batch: Batch, cur: Cursor) -> None:
        """Each event of the page to its handler, if the read model has one."""
        handler = self.handler
        for position, cls, event in batch:
            method = handler(cls)
            if method is not None:
                method(self, event, cur, position)

    def start_batch(self) -> None:
        """Forget anything buffered by a batch that did not commit."""

    def end_batch(self, cur: Cursor) -> None:
        """Write what the handlers buffered; runs before the batch's position is saved."""

    # Set by a rebuild while it loads unkeyed tables: a handler about to look
    # rows up (or update them) by a key or an index calls `need_indexes` first.
    deferred_indexes: bool = False

    def need_indexes(self, cur: Cursor) -> None:
        if self.deferred_indexes:
            self.create_indexes(cur)
            self.deferred_indexes = False


_LIVE_NAME = re.compile(r"\brm_(\w+)")


@functools.lru_cache(maxsize=1024)
def _renamed(name: str, prefix: str) -> str:
    # Cached: a rebuild sends the same few statements thousands of times.
    return _LIVE_NAME.sub(lambda m: prefix + m.group(1), name)


@dataclasses.dataclass(frozen=True)
class Shadow:
    """Where a rebuild loads (`projections/rebuild.py`): tables named with `prefix`
    instead of `rm_`, under position rows named `<read model>#<purpose>`."""

    prefix: str
    purpose: str

    def name(self, name: str) -> str:
        """A statement, or a name, with these shadow tables for the live ones."""
        return _renamed(name, self.prefix)

    def key(self, projection: Projection) -> str:
        """The name of the rebuild's own position row for the read model."""
        return f"{projection.name}#{self.purpose}"


# `registry replay`'s, which it switches into place (`rm_x` becomes `rmnext_x`).
REPLAY = Shadow("rmnext_", "rebuild")
# `registry verify --read-models`'s, compared with the live tables, then dropped.
CHECK = Shadow("rmcheck_", "check")


def shadow_name(name: str) -> str:
    """A statement, or a name, with `registry replay`'s shadow tables for the live ones."""
    return REPLAY.name(name)


def rebuild_key(projection: Projection) -> str:
    """The name of `registry replay`'s own position row."""
    return REPLAY.key(projection)


_TABLE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_TABLE_KEY = re.compile(r",\s*PRIMARY KEY \(([^)]*)\)")
_COLUMN_KEY = re.compile(r"^\s*(\w+)\s[^,\n]*?\s(PRIMARY KEY|UNIQUE)\b", re.MULTILINE)


def _is_table(ddl: str) -> bool:
    return _TABLE.search(ddl) is not None


def _table_name(ddl: str) -> str:
    match = _TABLE.search(ddl)
    assert match is not None, ddl
    return match.group(1)


def declared_columns(ddl: str) -> list[str]:
    """The column names a CREATE TABLE statement declares."""
    body = ddl[ddl.index("(") + 1:ddl.rindex(")")]
    return [line.split()[0] for line in (part.strip() for part in body.splitlines())
            if line and not line.startswith(("PRIMARY KEY", "UNIQUE"))]


def unkeyed(ddl: str) -> str:
    """A CREATE TABLE statement without its PRIMARY KEY and UNIQUE constraints."""
    ddl = _TABLE_KEY.sub("", ddl).replace(" PRIMARY KEY", " NOT NULL")
    return re.sub(r"\sUNIQUE\b", "", ddl)


def primary_key(ddl: str) -> list[str]:
    """The columns of a CREATE TABLE statement's primary key."""
    found = _TABLE_KEY.search(ddl)
    if found is not None:
        return re.findall(r"\w+", found.group(1))
    column = re.search(r"^\s*(\w+)\s[^,\n]*?\sPRIMARY KEY\b", ddl, re.MULTILINE)
    assert column is not None, f"no primary key: {ddl}"
    return [column.group(1)]


def key_indexes(ddl: str) -> list[str]:
    """The unique indexes that give an unkeyed table the keys `ddl` declares."""
    table = _table_name(ddl)
    keys = [m.group(1) for m in _TABLE_KEY.finditer(ddl)]
    keys += [m.group(1) for m in _COLUMN_KEY.finditer(_TABLE_KEY.sub("", ddl))]
    named = [(key, "_".join(re.findall(r"\w+", key))) for key in keys]
    return [f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_{name}_unique ON {table} ({key})"
            for key, name in named]


def keep_newest(cache: dict[Any, Any], most: int,
                keep: Callable[[Any], bool] = lambda _value: False) -> None:
    """Forget the oldest half of `cache` once it holds more than `most` entries,
    but for those whose value `keep` says to keep for good.

    The facts these caches hold never change, and the next events mostly
    concern the newest: a rebuild that forgot them all would have to index
    its tables mid-load to look them up again.
    """
    if len(cache) > most:
        for key in list(itertools.islice(cache, len(cache) - most // 2)):
            if not keep(cache[key]):
                del cache[key]

