"""What `registry verify` checks of the Merkle tree: that it is the tree of the events,
and that the newest checkpoint kept is a checkpoint of it.

The leaves are computed again from the chain's digests (which the chain
check compares with the events themselves), in one read transaction with
the tiles, and compared tile by tile, level by level. Then the newest
checkpoint kept must carry the tree's root at its size and the log's own
signature.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from registry.audit import keys, notes
from registry.store import merkle, tiles
from registry.store.db import SqlStore


@dataclass
class TreeCheck:
    ok: bool
    leaves: int
    root: str = ""
    checkpoint_size: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, "leaves": self.leaves, "root": self.root,
                                "checkpoint_size": self.checkpoint_size}
        if self.problem:
            body["problem"] = self.problem
        return body


def _leaves(tree: tiles.TreeCursor, after: int = 0) -> Iterator[tuple[int, bytes]]:
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    for page in tree.digests_after(after):
        for position, digest in page:
            yield position, sha256(b"\x00" + fromhex(digest)).digest()


def check_tree(store: SqlStore, verified: int = 0) -> TreeCheck:
    """The stored tiles against the tree of the chain's digests.

    With `verified`, a number of leaves checked before, the full leaf tiles
    below it are taken as checked: only the tiles from the one that holds
    leaf `verified` on are read, and on each level above only the tiles
    holding the nodes over them (about 2 tiles a level, whatever the size).
    """
    with store.snapshot() as cur:
        tree = tiles.TreeCursor(cur)
        first = verified // tiles.WIDTH  # the first tile at this level to check
        leaves, roots, problem = _check_leaves(tree, first)
        level = 1
        while problem is None and (roots or tree.tiles(level, first // tiles.WIDTH - 1, 1)):
            roots, problem = _check_level(tree, level, roots, first)
            first //= tiles.WIDTH
            level += 1
        reader = tiles.TreeReader(tree)
        root = reader.root(reader.size) if problem is None else b""
    return TreeCheck(ok=problem is None, leaves=leaves, root=base64.b64encode(root).decode(),
                     problem=problem)


def _check_leaves(tree: tiles.TreeCursor, first: int = 0) -> tuple[int, list[bytes], str | None]:
    """Level 0 from tile `first`: each tile's hashes and positions; the roots of the
    full tiles."""
    after, last_position = first - 1, 0
    if first:
        before = tree.tile(0, first - 1)
        if before is None or before.width != tiles.WIDTH:
            return 0, [], f"leaf tile {first - 1} of the Merkle tree is missing"
        last_position = before.position_list()[-1]
    leaves = _leaves(tree, last_position)
    count = first * tiles.WIDTH
    roots: list[bytes] = []
    while True:
        page = tree.tiles(0, after)
        if not page:
            break
        for tile in page:
            if tile.idx != after + 1 or count != tile.idx * tiles.WIDTH:
                return count, roots, f"leaf tile {after + 1} of the Merkle tree is missing"
            expected = [next(leaves, None) for _ in range(tile.width)]
            if None in expected:
                return count, roots, "the Merkle tree has leaves past the newest event"
            hashes = b"".join(h for _, h in expected)  # type: ignore[misc]
            positions = struct.pack(f">{len(expected)}q", *(p for p, _ in expected))  # type: ignore[misc]
            if hashes != tile.hashes or positions != tile.positions:
                return count, roots, _first_difference(tile, expected)  # type: ignore[arg-type]
            count += tile.width
            if tile.width == tiles.WIDTH:
                roots.append(merkle.root(tiles.split(tile.hashes)))
            after = tile.idx
        if page[-1].width < tiles.WIDTH:
            break
    extra = next(leaves, None)
    if extra is not None:
        return count, roots, f"the event at position {extra[0]} has no leaf in the Merkle tree"
    return count, roots, None


def _first_difference(tile: tiles.Tile, expected: list[tuple[int, bytes]]) -> str:
    positions = tile.position_list()
    for i, (position, leaf) in enumerate(expected):
        stored = tile.hashes[i * 32:(i + 1) * 32]
        if i >= len(positions) or positions[i] != position or stored != leaf:
            return (f"the Merkle tree's leaf {tile.idx * tiles.WIDTH + i} does not match the "
                    f"event at position {position}")
    return f"leaf tile {tile.idx} of the Merkle tree does not match the events"


def _check_level(tree: tiles.TreeCursor, level: int, expected: list[bytes],
                 below: int = 0) -> tuple[list[bytes], str | None]:
    """Level `level` must hold exactly the roots of the full tiles below it.

    `expected` are the roots of the tiles below from tile `below` on, the
    nodes from index `below` at this level; the nodes before it were checked
    before, and are taken from the stored tile that holds node `below`.
    """
    first = below // tiles.WIDTH
    stored, after = [], first - 1
    while True:
        page = tree.tiles(level, after)
        if not page:
            break
        for tile in page:
            if tile.idx != after + 1:
                return [], f"tile {level}/{after + 1} of the Merkle tree is missing"
            stored.append(tile)
            after = tile.idx
    checked_before = (below - first * tiles.WIDTH) * merkle.HASH_SIZE
    if checked_before and (not stored or stored[0].idx != first):
        return [], f"tile {level}/{first} of the Merkle tree is missing"
    joined = (stored[0].hashes[:checked_before] if checked_before else b"") + b"".join(expected)
    for tile in stored:
        start = (tile.idx - first) * tiles.TILE_BYTES
        if tile.hashes != joined[start:start + len(tile.hashes)]:
            return [], f"tile {level}/{tile.idx} of the Merkle tree does not match the tiles below"
    if sum(len(t.hashes) for t in stored) != len(joined):
        return [], f"level {level} of the Merkle tree does not hold every full tile below it"
    return [merkle.root(tiles.split(t.hashes)) for t in stored if t.width == tiles.WIDTH], None


def check_checkpoint(log: Any, tree: TreeCheck) -> TreeCheck:
    """The newest checkpoint kept must be the tree's at its size, signed by the log's key."""
    newest = log.kept.newest()
    if newest is None or not tree.ok:
        return tree
    size, root, note_text = newest
    tree.checkpoint_size = size
    if size > tree.leaves:
        tree.ok, tree.problem = False, (f"the newest checkpoint is of {size} leaves, more than "
                                        f"the tree holds ({tree.leaves})")
        return tree
    with log.store.snapshot() as cur:
        actual = tiles.TreeReader(tiles.TreeCursor(cur)).root(size)
    if base64.b64encode(actual).decode() != root:
        tree.ok = False
        tree.problem = f"the checkpoint of size {size} has another root than the tree"
        return tree
    try:
        note = notes.Note.parse(note_text)
        signed = note.signed_by(log.vkey(create=False))
        said = notes.Checkpoint.parse(note.text)
    except (notes.NoteError, keys.KeyFileError) as e:
        tree.ok, tree.problem = False, f"the checkpoint of size {size} cannot be checked: {e}"
        return tree
    if not signed or said.size != size or said.root != actual:
        tree.ok, tree.problem = False, (f"the checkpoint of size {size} is not signed by the "
                                        "log's key over the tree's root")
    return tree
