"""The verifiable log's figures: its share of a bulk write, checkpoints, proofs, its check."""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from typing import Any

from registry.audit import treecheck
from registry.bootstrap import Registry
from registry.entrypoints.bench.harness import Store, hammer
from registry.store import tiles
from registry.store.chain import CHAIN_TABLE

API = "/api/v1"
CLIENTS = 8


def head(store: Store) -> int:
    """The newest position of a store a server is running on (no tables made)."""
    registry = Registry.open(store.settings(), create_tables=False)
    try:
        return registry.app.head_position()
    finally:
        registry.close()


def _chain(registry: Registry) -> list[tuple[int, bytes]]:
    with registry.store.transaction() as cur:
        rows = cur.execute(f"SELECT position, digest FROM {CHAIN_TABLE} "  # noqa: S608
                           "ORDER BY position").fetchall()
    return [(int(p), bytes.fromhex(d)) for p, d in rows]


def tree_share(store: Store, before: int, bulk_s: float) -> dict[str, Any]:
    """The tree's own work for the leaves a batch wrote: hashing them and writing their
    tiles, timed apart in a scratch tree that held the log before the batch."""
    registry = Registry.open(store.settings(), create_tables=False)
    try:
        rows = _chain(registry)
    finally:
        registry.close()
    old = [r for r in rows if r[0] <= before]
    new = [r for r in rows if r[0] > before]
    scratch = sqlite3.connect(":memory:")
    for statement in tiles.create_statements("sqlite"):
        scratch.execute(statement)
    tree = tiles.TreeCursor(scratch.cursor())
    tiles.append(tree, [p for p, _ in old], [d for _, d in old])
    began = time.perf_counter()
    tiles.append(tree, [p for p, _ in new], [d for _, d in new])
    scratch.commit()
    spent = time.perf_counter() - began
    return {"tree_bulk_leaves": len(new), "tree_bulk_s": spent,
            "tree_bulk_share": spent / bulk_s}


def proofs(port: int, token: str, registry: Registry, seconds: float) -> dict[str, Any]:
    """`GET /log/proof` of random events, 8 clients."""
    positions = [p for p, _ in _chain(registry)]

    def step(client_number: int) -> Any:
        rng = random.Random(client_number)
        return lambda client, _i: client.get(
            f"{API}/log/proof?position={rng.choice(positions)}")

    load = hammer(port, token, CLIENTS, step, seconds=seconds)
    return {"proof_per_s": load.per_second, "proof_p50_ms": load.percentile_ms(50),
            "proof_p99_ms": load.percentile_ms(99)}


def checkpoints_and_check(registry: Registry, rounds: int = 15) -> dict[str, Any]:
    """Signed checkpoints of sizes never signed before (root, signature, kept), and the
    tree checked against the events, on the large log.

    `checkpoint_ms` is the first, made with nothing kept from earlier requests (every
    tile read, every inner node computed); `checkpoint_warm_ms` the median of the next,
    as a running server makes them.
    """
    registry.log.signer()  # the key is read (or made) once per process
    size = registry.log.size()
    spent = []
    for k in range(rounds):
        began = time.perf_counter()
        registry.log.checkpoint(size - k)
        spent.append(time.perf_counter() - began)
    began = time.perf_counter()
    found = treecheck.check_tree(registry.store)
    check_s = time.perf_counter() - began
    if not found.ok:
        raise RuntimeError(f"the benchmark's own tree does not verify: {found.problem}")
    return {"checkpoint_ms": spent[0] * 1000,
            "checkpoint_warm_ms": statistics.median(spent[1:]) * 1000,
            "tree_verify_events_per_s": found.leaves / check_s}
