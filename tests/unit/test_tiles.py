"""The tiled Merkle tree: appends of any size give the RFC 9162 tree of the digests,
across tile boundaries and tile levels, and its proofs verify."""

from __future__ import annotations

import hashlib
import random
import sqlite3

import pytest

from registry.store import merkle, tiles
from registry.store.chain import CHAIN_TABLE


@pytest.fixture
def cur() -> sqlite3.Cursor:
    db = sqlite3.connect(":memory:")
    for statement in tiles.create_statements("sqlite"):
        db.execute(statement)
    db.execute(f"CREATE TABLE {CHAIN_TABLE} (position INTEGER PRIMARY KEY, digest TEXT, "
               "hash TEXT)")
    return db.cursor()


def digest(position: int) -> bytes:
    return hashlib.sha256(f"event {position}".encode()).digest()


def append(cur: sqlite3.Cursor, positions: list[int]) -> None:
    cur.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, '')",
                    [(p, digest(p).hex()) for p in positions])
    tiles.append(tiles.TreeCursor(cur), positions, [digest(p) for p in positions])


def test_appends_of_every_size_build_the_rfc_tree_over_two_tile_levels(
        cur: sqlite3.Cursor) -> None:
    rng = random.Random(7)
    positions, next_position = [], 1
    sizes = [1, 1, 254, 1, 300, 3] + [rng.choice([1, 2, 17, 500, 4000]) for _ in range(40)]
    for size in sizes:
        # Positions skip now and then, as a PostgreSQL sequence does after a rollback.
        batch = []
        for _ in range(size):
            next_position += rng.choice([1] * 9 + [4])
            batch.append(next_position)
        append(cur, batch)
        positions += batch
    assert len(positions) > tiles.WIDTH ** 2 // 2
    leaves = [merkle.leaf_hash(digest(p)) for p in positions]
    reader = tiles.TreeReader(tiles.TreeCursor(cur))
    assert reader.size == len(leaves)
    for n in {1, 2, 255, 256, 257, 4096, 65535, len(leaves) // 2, len(leaves)}:
        if n <= len(leaves):
            assert reader.root(n) == merkle.root(leaves[:n]), n
    for index in rng.sample(range(len(leaves)), 50):
        assert reader.leaf_index(positions[index]) == index
        assert reader.position(index) == positions[index]
        size = rng.randint(index + 1, len(leaves))
        merkle.verify_inclusion(index, size, leaves[index], reader.inclusion(index, size),
                                merkle.root(leaves[:size]))
    first = rng.randint(1, len(leaves))
    merkle.verify_consistency(first, len(leaves), reader.consistency(first, len(leaves)),
                              merkle.root(leaves[:first]), merkle.root(leaves))


def test_a_tree_of_more_than_65536_leaves_has_a_third_tile_level(cur: sqlite3.Cursor) -> None:
    positions = list(range(1, tiles.WIDTH ** 2 + 300))
    for start in range(0, len(positions), 20_000):
        append(cur, positions[start:start + 20_000])
    right = tiles.TreeCursor(cur).rightmost()
    assert sorted(right) == [0, 1, 2] and right[2].width == 1
    leaves = [merkle.leaf_hash(digest(p)) for p in positions]
    assert tiles.TreeReader(tiles.TreeCursor(cur)).root(len(leaves)) == merkle.root(leaves)


def test_a_position_that_is_no_event_has_no_leaf(cur: sqlite3.Cursor) -> None:
    append(cur, [1, 2, 5, 6])
    reader = tiles.TreeReader(tiles.TreeCursor(cur))
    assert [reader.leaf_index(p) for p in (0, 1, 2, 3, 5, 6, 7)] == [None, 0, 1, None, 2, 3, None]


def test_a_tree_behind_the_chain_is_caught_up_before_new_leaves_are_added(
        cur: sqlite3.Cursor) -> None:
    # Events stored before the tree existed: links only.
    cur.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?, '')",
                    [(p, digest(p).hex()) for p in range(1, 600)])
    append(cur, [600, 601])
    reader = tiles.TreeReader(tiles.TreeCursor(cur))
    assert reader.size == 601
    assert reader.root(601) == merkle.root([merkle.leaf_hash(digest(p)) for p in range(1, 602)])
    assert tiles.catch_up(tiles.TreeCursor(cur)) == 0


def test_nodes_kept_between_readers_give_the_same_roots_and_proofs(cur: sqlite3.Cursor) -> None:
    kept = tiles.Recent(64)
    rng = random.Random(3)
    positions = list(range(1, 3000))
    for start in range(0, len(positions), 700):
        append(cur, positions[start:start + 700])
        size = min(start + 700, len(positions))
        leaves = [merkle.leaf_hash(digest(p)) for p in positions[:size]]
        for _ in range(2):  # the second time from what the first kept
            reader = tiles.TreeReader(tiles.TreeCursor(cur), kept)
            for n in (size, rng.randint(1, size)):
                assert reader.root(n) == merkle.root(leaves[:n])
                index = rng.randrange(n)
                assert reader.inclusion(index, n) == tiles.TreeReader(
                    tiles.TreeCursor(cur)).inclusion(index, n)


def test_nodes_kept_while_the_first_tile_filled_serve_proofs_after_the_tree_outgrows_it(
        cur: sqlite3.Cursor) -> None:
    kept = tiles.Recent(10_000)
    append(cur, list(range(1, 101)))
    small = tiles.TreeReader(tiles.TreeCursor(cur), kept)
    small.inclusion(2, 100)  # keeps complete subtrees of the filling tile, (1, 0) among them
    append(cur, list(range(101, 601)))
    leaves = [merkle.leaf_hash(digest(p)) for p in range(1, 601)]
    grown = tiles.TreeReader(tiles.TreeCursor(cur), kept)
    assert grown.root(600) == merkle.root(leaves)
    for index in (0, 1, 255, 256, 599):
        assert grown.inclusion(index, 600) == tiles.TreeReader(
            tiles.TreeCursor(cur)).inclusion(index, 600)
