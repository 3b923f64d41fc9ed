"""The verifiable log on both engines: every event a leaf, signed checkpoints, proofs
an independent verifier accepts, and a tree that survives replay, export and import."""

from __future__ import annotations

import base64
import io
import random
from pathlib import Path
from typing import Any

import pytest

from projections.rebuild import Rebuild
from registry.audit import integrity, transfer
from registry.bootstrap import Registry
from registry.config import Settings
from registry.store import tiles
from registry.store.chain import CHAIN_TABLE
from tests import independent
from tests.callers import Caller
from tests.integration.logtools import grow

V1 = "/api/v1"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The signing key in the test's folder on both engines (PostgreSQL's default is here).
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "registry.key")})


def digests(registry: Registry) -> list[bytes]:
    with registry.store.transaction() as cur:
        rows = cur.execute(f"SELECT digest FROM {CHAIN_TABLE} ORDER BY position").fetchall()  # noqa: S608
    return [bytes.fromhex(d) for (d,) in rows]


def positions(registry: Registry) -> list[int]:
    with registry.store.transaction() as cur:
        rows = cur.execute(f"SELECT position FROM {CHAIN_TABLE} ORDER BY position").fetchall()  # noqa: S608
    return [int(p) for (p,) in rows]


def vkey(registry: Registry) -> str:
    return str(registry.log.vkey())


def test_every_event_is_a_leaf_and_the_checkpoint_signs_the_rfc_root_of_their_digests(
        registry: Registry, admin: Caller) -> None:
    grow(registry, 4)
    grow(registry, 2)
    answer = admin.get(V1 + "/log/checkpoint")
    assert answer.status_code == 200 and answer.mimetype == "text/plain"
    origin, size, root = independent.signed_checkpoint(answer.get_data(as_text=True),
                                                       vkey(registry))
    leaves = [independent.leaf(d) for d in digests(registry)]
    assert (origin, size) == ("localhost/registry", len(leaves))
    assert leaves and size == len(positions(registry))
    assert root == independent.tree_root(leaves)


def test_proofs_of_random_positions_and_sizes_verify_against_the_signed_checkpoint(
        registry: Registry, admin: Caller) -> None:
    for workers in (5, 1, 7, 3):
        grow(registry, workers)
    head, stored = registry.app.head_position(), positions(registry)
    rng = random.Random(head)
    for _ in range(40):
        size = rng.randint(1, len(stored))
        index = rng.randrange(size)
        answer = admin.get(f"{V1}/log/proof?position={stored[index]}&tree_size={size}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert answer.json["leaf_index"] == index
        assert independent.proof_holds(answer.json, vkey(registry)), answer.json
    latest = admin.get(f"{V1}/log/proof?position={head}")
    assert latest.json["tree_size"] == len(stored)
    assert independent.proof_holds(latest.json, vkey(registry))
    # A proof edited anywhere that matters no longer holds.
    forged = dict(latest.json, inclusion=list(reversed(latest.json["inclusion"])))
    assert not independent.proof_holds(forged, vkey(registry))


def test_consistency_between_checkpoints_taken_before_and_after_more_writes(
        registry: Registry, admin: Caller) -> None:
    grow(registry, 3)
    before = admin.get(V1 + "/log/checkpoint").get_data(as_text=True)
    for workers in (2, 9, 1):
        grow(registry, workers)
    after = admin.get(V1 + "/log/checkpoint").get_data(as_text=True)
    _, first, first_root = independent.signed_checkpoint(before, vkey(registry))
    _, second, second_root = independent.signed_checkpoint(after, vkey(registry))
    assert first < second
    answer = admin.get(f"{V1}/log/consistency?from={first}&to={second}")
    assert answer.status_code == 200 and (answer.json["from"], answer.json["to"]) == (first,
                                                                                       second)
    proof = [base64.b64decode(h) for h in answer.json["proof"]]
    assert independent.consistency_holds(first, second, proof, first_root, second_root)
    assert not independent.consistency_holds(first, second, proof, second_root, first_root)
    for middle in range(1, second + 1):
        proof = [base64.b64decode(h) for h in admin.get(
            f"{V1}/log/consistency?from={middle}&to={second}").json["proof"]]
        leaves = [independent.leaf(d) for d in digests(registry)]
        assert independent.consistency_holds(middle, second, proof,
                                             independent.tree_root(leaves[:middle]), second_root)


def test_the_tree_is_the_same_after_a_replay_of_the_read_models(
        registry: Registry, admin: Caller) -> None:
    grow(registry, 4)
    before = admin.get(V1 + "/log/checkpoint").get_data(as_text=True)
    Rebuild(registry.projections).run()
    assert admin.get(V1 + "/log/checkpoint").get_data(as_text=True) == before
    assert integrity.audit(registry).ok


@pytest.fixture
def other_engine(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if database_url.startswith("sqlite"):
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path}/moved.db"


def test_an_export_imported_into_the_other_engine_has_the_same_root_and_verifies(
        registry: Registry, other_engine: str, tmp_path: Path) -> None:
    grow(registry, 6)
    grow(registry, 300)  # past one tile of 256 leaves
    exported = io.StringIO()
    transfer.export(registry.app, registry.store, exported)
    path = tmp_path / "log.ndjson"
    path.write_text(exported.getvalue())
    moved = Registry.open(Settings.from_env({
        "REGISTRY_DATABASE_URL": other_engine,
        "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "registry.key")}))
    try:
        transfer.import_file(moved.app, moved.store, str(path))
        assert moved.log.size() == registry.log.size() == registry.app.head_position()
        assert str(moved.log.checkpoint().note) == str(registry.log.checkpoint().note)
        assert integrity.audit(moved).ok
        # And the moved store goes on growing the same tree.
        grow(moved, 2)
        assert integrity.audit(moved).ok
    finally:
        moved.close()


def test_verify_reports_a_tile_that_no_longer_matches_the_events(registry: Registry) -> None:
    grow(registry, 5)
    assert integrity.audit(registry).tree.ok  # type: ignore[union-attr]
    with registry.store.transaction(write=True) as cur:
        row = cur.execute(f"SELECT hashes FROM {tiles.TABLE} WHERE level = 0 "  # noqa: S608
                          "AND idx = 0").fetchone()
        assert row is not None
        hashes = row[0]
        changed = bytes(hashes[:64]) + bytes(32) + bytes(hashes[96:])
        cur.execute(f"UPDATE {tiles.TABLE} SET hashes = ? WHERE level = 0 AND idx = 0",  # noqa: S608
                    (changed,))
    found = integrity.audit(registry)
    assert not found.ok and found.chain.ok
    assert found.tree is not None and "leaf 2 " in (found.tree.problem or "")


def test_verify_reports_a_kept_checkpoint_that_is_not_the_trees(registry: Registry) -> None:
    grow(registry, 2)
    registry.log.checkpoint()
    assert integrity.audit(registry).ok
    with registry.store.transaction(write=True) as cur:
        cur.execute("UPDATE log_checkpoints SET root = ?", (base64.b64encode(bytes(32)).decode(),))
    found = integrity.audit(registry)
    assert not found.ok and "another root" in (found.tree.problem or "")  # type: ignore[union-attr]


def test_a_store_written_before_the_tree_existed_gets_its_tree_when_opened(
        registry: Registry, settings: Settings) -> None:
    grow(registry, 4)
    with registry.store.transaction(write=True) as cur:
        cur.execute(f"DELETE FROM {tiles.TABLE}")  # noqa: S608
    assert registry.log.size() == 0
    reopened = Registry.open(settings)
    try:
        assert reopened.log.size() == reopened.app.head_position()
        assert integrity.audit(reopened).ok
    finally:
        reopened.close()


def test_proof_and_consistency_refuse_what_is_not_in_the_log_naming_the_parameter(
        registry: Registry, admin: Caller) -> None:
    grow(registry, 2)
    head = registry.app.head_position()
    cases = {
        f"/log/proof?position={head + 1}": "position",
        f"/log/proof?position=1&tree_size={head + 1}": "tree_size",
        f"/log/proof?position={head}&tree_size=1": "position",
        "/log/proof?position=0": "position",
        "/log/proof": "position",
        "/log/proof?position=1&leaf=1": "leaf",
        f"/log/consistency?from=3&to={head + 1}": "to",
        "/log/consistency?from=3&to=2": "from",
        "/log/consistency?from=0&to=2": "from",
        "/log/consistency?to=2": "from",
        "/log/checkpoint?size=3": "size",
    }
    for path, field in cases.items():
        answer = admin.get(V1 + path)
        assert answer.status_code == 422, (path, answer.get_data(as_text=True))
        assert answer.json["code"] == "validation_failed" and field in answer.json["errors"], path


def test_a_witness_token_reads_the_log_and_nothing_else(
        registry: Registry, client: Any, as_role: Any) -> None:
    grow(registry, 1)
    witness = as_role("witness")
    assert witness.get(V1 + "/log/checkpoint").status_code == 200
    assert witness.get(V1 + "/log/proof?position=1").status_code == 200
    for path in ("/agreements", "/events", "/audit/integrity"):
        answer = witness.get(V1 + path)
        assert answer.status_code == 403 and answer.json["code"] == "forbidden", path


