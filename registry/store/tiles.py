"""The Merkle tree over the log, stored as tiles beside the events.

Leaf `i` is the (i+1)-th event in position order; its data is the event's
32-byte digest (`registry/store/chain.py`). The tree is kept the way C2SP's
tlog-tiles keeps one: a tile at tile level L holds up to 256 consecutive
hashes of tree level 8L (leaf hashes at L = 0, roots of full lower tiles
above), so a million events take about 4,000 rows, and any node is computed
from one tile. A level-0 tile also holds its leaves' positions, which turn a
position into a leaf index with one indexed read.

The recorders append in the events' own transaction, holding the lock that
orders positions: an event without its leaf was not written by the
registry. An append reads the rightmost tile of each level (one query) and
rewrites the tiles it changed; nodes, once complete, never change.
"""

from __future__ import annotations

import bisect
import struct
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from registry.store import merkle
from registry.store.chain import CHAIN_TABLE

TABLE = "merkle_tiles"
HEIGHT = 8
WIDTH = 1 << HEIGHT
TILE_BYTES = WIDTH * merkle.HASH_SIZE
LEVELS = 5  # tile levels: 256**5 leaves, far beyond any log
PAGE = 5000
INTERIORS = 1024  # full tiles' inner nodes (16 KiB each) and single nodes kept, per store


def create_statements(engine: str, table: str = TABLE) -> list[str]:
    """The tile table and its index on the first position of each level-0 tile."""
    blob, rowid = ("BLOB", " WITHOUT ROWID") if engine == "sqlite" else ("BYTEA", "")
    index = table.replace('"', "").replace(".", "_") + "_first_position"
    return [(f"CREATE TABLE IF NOT EXISTS {table} (level INTEGER NOT NULL, idx BIGINT NOT NULL, "
             f"hashes {blob} NOT NULL, positions {blob}, first_position BIGINT, "
             f"PRIMARY KEY (level, idx)){rowid}"),
            f"CREATE INDEX IF NOT EXISTS {index} ON {table} (first_position)"]


@dataclass
class Tile:
    level: int
    idx: int
    hashes: bytes
    positions: bytes | None = None  # level 0: each leaf's position, 8 bytes big-endian

    @property
    def width(self) -> int:
        return len(self.hashes) // merkle.HASH_SIZE

    def position_list(self) -> list[int]:
        data = self.positions or b""
        return list(struct.unpack(f">{len(data) // 8}q", data))


def _row(row: Any) -> tuple[Any, ...]:
    # psycopg's dict rows in the recorder, tuples or sqlite3.Row elsewhere.
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


class TreeCursor:
    """The tree's statements over a cursor of either engine.

    `raw` is a driver cursor (the recorders') or a `registry.store.db.Cursor`;
    `format_params` when it takes %s placeholders; `table` and `chain` are the
    names to use, schema-qualified where the connection has no search path.
    """

    def __init__(self, raw: Any, *, format_params: bool = False, table: str = TABLE,
                 chain: str = CHAIN_TABLE) -> None:
        self.raw, self.table, self.chain = raw, table, chain
        self._mark = "%s" if format_params else "?"

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.raw.execute(sql.replace("?", self._mark), tuple(params))
        return [_row(r) for r in self.raw.fetchall()]

    def rightmost_sql(self) -> str:
        """The rightmost tile of every level, in level order: one index seek per level."""
        return " UNION ALL ".join(
            f"SELECT * FROM (SELECT level, idx, hashes, positions FROM {self.table} "  # noqa: S608
            f"WHERE level = {level} ORDER BY idx DESC LIMIT 1) edge{level}"
            for level in range(LEVELS))

    def rightmost(self, rows: list[tuple[Any, ...]] | None = None) -> dict[int, Tile]:
        found = self._rows(self.rightmost_sql()) if rows is None else [_row(r) for r in rows]
        return {int(r[0]): Tile(int(r[0]), int(r[1]), bytes(r[2]),
                                bytes(r[3]) if r[3] is not None else None) for r in found}

    def tile(self, level: int, idx: int) -> Tile | None:
        rows = self._rows(f"SELECT hashes, positions FROM {self.table} "  # noqa: S608
                          "WHERE level = ? AND idx = ?", (level, idx))
        if not rows:
            return None
        hashes, positions = rows[0]
        return Tile(level, idx, bytes(hashes), bytes(positions) if positions is not None else None)

    def leaf_tile_holding(self, position: int) -> Tile | None:
        """The level-0 tile whose leaves' positions span `position`, if any may."""
        rows = self._rows(f"SELECT idx, hashes, positions FROM {self.table} "  # noqa: S608
                          "WHERE first_position <= ? ORDER BY first_position DESC LIMIT 1",
                          (position,))
        if not rows:
            return None
        idx, hashes, positions = rows[0]
        return Tile(0, int(idx), bytes(hashes), bytes(positions))

    def tiles(self, level: int, after: int = -1, limit: int = 200) -> list[Tile]:
        rows = self._rows(f"SELECT idx, hashes, positions FROM {self.table} "  # noqa: S608
                          "WHERE level = ? AND idx > ? ORDER BY idx LIMIT ?", (level, after, limit))
        return [Tile(level, int(i), bytes(h), bytes(p) if p is not None else None)
                for i, h, p in rows]

    def put(self, tiles: Sequence[Tile]) -> None:
        if not tiles:
            return
        sql = (f"INSERT INTO {self.table} (level, idx, hashes, positions, first_position) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT (level, idx) DO UPDATE SET "
               "hashes = excluded.hashes, positions = excluded.positions, "
               "first_position = excluded.first_position").replace("?", self._mark)
        self.raw.executemany(sql, [
            (t.level, t.idx, t.hashes, t.positions,
             struct.unpack(">q", t.positions[:8])[0] if t.positions else None) for t in tiles])

    def digests_after(self, position: int) -> Iterator[list[tuple[int, str]]]:
        """Pages of (position, digest) from the chain, after `position`, in order."""
        while True:
            rows = self._rows(f"SELECT position, digest FROM {self.chain} "  # noqa: S608
                              "WHERE position > ? ORDER BY position LIMIT ?", (position, PAGE))
            if not rows:
                return
            yield [(int(p), str(d)) for p, d in rows]
            position = int(rows[-1][0])


def size_of(rightmost: dict[int, Tile]) -> int:
    """The number of leaves, from the rightmost level-0 tile."""
    edge = rightmost.get(0)
    return edge.idx * WIDTH + edge.width if edge is not None else 0


def last_position(rightmost: dict[int, Tile]) -> int:
    """The position of the newest leaf; 0 for an empty tree."""
    edge = rightmost.get(0)
    return struct.unpack(">q", edge.positions[-8:])[0] if edge and edge.positions else 0


def grown(rightmost: dict[int, Tile], positions: Sequence[int],
          digests: Iterable[bytes]) -> list[Tile]:
    """The tiles to write for new leaves (positions and 32-byte digests, in order)."""
    sha256 = merkle._sha256  # noqa: SLF001 - the hot path: one call per event
    hashes = b"".join(sha256(b"\x00" + d).digest() for d in digests)
    packed = struct.pack(f">{len(positions)}q", *positions)
    return _extend(0, rightmost, hashes, packed)


def _extend(level: int, rightmost: dict[int, Tile], hashes: bytes,
            positions: bytes | None) -> list[Tile]:
    edge = rightmost.get(level)
    if edge is not None and edge.width < WIDTH:
        idx, hashes = edge.idx, edge.hashes + hashes
        if level == 0 and edge.positions and positions:
            positions = edge.positions + positions
    else:
        idx = edge.idx + 1 if edge is not None else 0
    written, roots = [], []
    for offset in range(0, len(hashes), TILE_BYTES):
        chunk = hashes[offset:offset + TILE_BYTES]
        spots = (positions[offset // 4:(offset + TILE_BYTES) // 4]
                 if level == 0 and positions else None)
        written.append(Tile(level, idx, chunk, spots))
        if len(chunk) == TILE_BYTES:
            roots.append(merkle.root(split(chunk)))
        idx += 1
    if roots:
        written += _extend(level + 1, rightmost, b"".join(roots), None)
    return written


def split(hashes: bytes) -> list[bytes]:
    size = merkle.HASH_SIZE
    return [hashes[i:i + size] for i in range(0, len(hashes), size)]


def append(cur: TreeCursor, positions: Sequence[int], digests: Iterable[bytes],
           rightmost: dict[int, Tile] | None = None) -> None:
    """Add leaves for events just written at `positions` (the caller holds the write lock).

    A tree behind the chain (a store written before the tree existed) is
    brought up to the events before `positions` first.
    """
    right = cur.rightmost() if rightmost is None else rightmost
    if positions and last_position(right) < positions[0] - 1:
        caught = catch_up(cur, right, before=positions[0])
        if caught:
            right = cur.rightmost()
    cur.put(grown(right, positions, digests))


def catch_up(cur: TreeCursor, rightmost: dict[int, Tile] | None = None,
             before: int | None = None) -> int:
    """Add the chain's events the tree lacks (before `before`, if given); how many."""
    right = cur.rightmost() if rightmost is None else rightmost
    added = 0
    for page in cur.digests_after(last_position(right)):
        page = [(p, d) for p, d in page if before is None or p < before]
        if not page:
            break
        tiles = grown(right, [p for p, _ in page], [bytes.fromhex(d) for _, d in page])
        cur.put(tiles)
        for tile in tiles:  # the new rightmost of each level
            if tile.level not in right or tile.idx >= right[tile.level].idx:
                right[tile.level] = tile
        added += len(page)
    return added


class Recent:
    """A bounded map, the least recently used entry dropped first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


def interior(hashes: bytes) -> list[bytes]:
    """A full tile's nodes, level by level from its own hashes up to its root's children."""
    sha256 = merkle._sha256  # noqa: SLF001 - 255 calls per tile
    levels, current = [hashes], split(hashes)
    for _ in range(HEIGHT - 1):
        current = [sha256(b"\x01" + current[i] + current[i + 1]).digest()
                   for i in range(0, len(current), 2)]
        levels.append(b"".join(current))
    return levels


class TreeReader:
    """Nodes of the stored tree, each computed from one tile, tiles read once.

    A complete node never changes: the inner nodes of full tiles, and the
    complete subtrees of the tiles still filling at the tree's right edge, are
    kept between readers (`interiors`, one per store), so that a proof rarely
    hashes anything. Keys are ("tile", tile level, tile) for full tiles' nodes
    and ("node", tree level, index) for single nodes, so the two never meet.
    """

    def __init__(self, cur: TreeCursor, interiors: Recent | None = None) -> None:
        self.cur = cur
        self.interiors = interiors
        self._tiles: dict[tuple[int, int], Tile] = {}
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._right = cur.rightmost()
        self.size = size_of(self._right)

    def _tile(self, level: int, idx: int) -> Tile:
        key = (level, idx)
        tile = self._tiles.get(key)
        if tile is None:
            edge = self._right.get(level)
            tile = edge if edge is not None and edge.idx == idx else self.cur.tile(level, idx)
            if tile is None:
                raise LookupError(f"tile {level}/{idx} of the Merkle tree is missing")
            self._tiles[key] = tile
        return tile

    def _full(self, tile_level: int, idx: int) -> list[bytes] | None:
        """The inner nodes of a full tile (kept, or computed and kept); None if not full."""
        key = ("tile", tile_level, idx)
        found = self.interiors.get(key) if self.interiors is not None else None
        if found is None:
            tile = self._tile(tile_level, idx)
            if tile.width != WIDTH:
                return None
            found = interior(tile.hashes)
            if self.interiors is not None:
                self.interiors.put(key, found)
        return found

    def node(self, level: int, index: int) -> bytes:
        """The root of the complete subtree at (level, index)."""
        found = self._nodes.get((level, index))
        if found is not None:
            return found
        tile_level, within = divmod(level, HEIGHT)
        span = 1 << within
        first = index * span
        idx = first // WIDTH
        size = merkle.HASH_SIZE
        levels = self._full(tile_level, idx)
        if levels is not None:
            at = (index - idx * (WIDTH >> within)) * size
            found = levels[within][at:at + size]
        else:
            found = (self.interiors.get(("node", level, index)) if self.interiors is not None
                     else None)
            if found is None:
                start = (first % WIDTH) * size
                chunk = self._tile(tile_level, idx).hashes[start:start + span * size]
                if len(chunk) != span * size:
                    raise LookupError(f"node {level}/{index} is beyond the stored tree")
                found = chunk if span == 1 else merkle.root(split(chunk))
                if span > 1 and self.interiors is not None:
                    # Complete, so it never changes, though its tile still fills.
                    self.interiors.put(("node", level, index), found)
        self._nodes[(level, index)] = found
        return found

    def root(self, size: int) -> bytes:
        return merkle.tree_root(size, self.node)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return merkle.inclusion_proof(index, size, self.node)

    def consistency(self, first: int, second: int) -> list[bytes]:
        return merkle.consistency_proof(first, second, self.node)

    def leaf_index(self, position: int) -> int | None:
        """The leaf of the event at `position`; None if no stored leaf is that event."""
        tile = self.cur.leaf_tile_holding(position)
        if tile is None:
            return None
        positions = tile.position_list()
        at = bisect.bisect_left(positions, position)
        if at == len(positions) or positions[at] != position:
            return None
        return tile.idx * WIDTH + at

    def position(self, index: int) -> int:
        return self._tile(0, index // WIDTH).position_list()[index % WIDTH]
