"""The Merkle tree code against the RFC 9162 test vectors, every case, the failing ones too,
and the proofs it builds against a tree built the RFC's recursive way."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from registry.store import merkle
from tests import independent

# transparency-dev/merkle's testdata, copied unchanged (tests/vectors/rfc9162/README.md).
VECTORS = Path(__file__).parent.parent / "vectors" / "rfc9162"


def cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no {kind} vectors under {VECTORS}"
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS)))
            for f in files]


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


@pytest.mark.parametrize("case", cases("inclusion"))
def test_inclusion_verification_agrees_with_the_rfc_9162_vector(case: dict[str, Any]) -> None:
    proof = [b64(p) for p in case["proof"] or []]
    try:
        merkle.verify_inclusion(case["leafIdx"], case["treeSize"], b64(case["leafHash"]),
                                proof, b64(case["root"]))
        failed = False
    except merkle.ProofError:
        failed = True
    assert failed == case["wantErr"], case["desc"]


@pytest.mark.parametrize("case", cases("consistency"))
def test_consistency_verification_agrees_with_the_rfc_9162_vector(case: dict[str, Any]) -> None:
    proof = [b64(p) for p in case["proof"] or []]
    try:
        merkle.verify_consistency(case["size1"], case["size2"], proof, b64(case["root1"]),
                                  b64(case["root2"]))
        failed = False
    except merkle.ProofError:
        failed = True
    assert failed == case["wantErr"], case["desc"]


def test_the_vectors_include_cases_that_must_fail() -> None:
    wanted = [c.values[0]["wantErr"] for c in cases("inclusion") + cases("consistency")]
    assert wanted.count(True) > 100 and wanted.count(False) > 10


# The RFC's own recursive definitions, written plainly, to check the iterative code against.
def mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = merkle.split_point(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if complete else [mth(leaves)]
    k = merkle.split_point(len(leaves))
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def leaves_of(n: int) -> list[bytes]:
    return [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def node_reader(leaves: list[bytes]) -> merkle.Node:
    return lambda level, index: mth(leaves[index << level:(index + 1) << level])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33])
def test_roots_and_proofs_equal_the_rfc_definitions_for_every_size_and_leaf(n: int) -> None:
    leaves = leaves_of(n)
    node = node_reader(leaves)
    assert merkle.root(leaves) == mth(leaves) == merkle.tree_root(n, node)
    for m in range(n):
        proof = merkle.inclusion_proof(m, n, node)
        assert proof == path(m, leaves)
        merkle.verify_inclusion(m, n, leaves[m], proof, mth(leaves))
    for m in range(1, n + 1):
        proof = merkle.consistency_proof(m, n, node)
        assert proof == subproof(m, leaves, True)
        merkle.verify_consistency(m, n, proof, mth(leaves[:m]), mth(leaves))


def test_a_leaf_changed_anywhere_fails_its_old_proof_and_every_consistency_proof() -> None:
    leaves = leaves_of(11)
    root = mth(leaves)
    tampered = list(leaves)
    tampered[4] = merkle.leaf_hash(b"rewritten")
    with pytest.raises(merkle.ProofError, match="another root"):
        merkle.verify_inclusion(4, 11, tampered[4], path(4, leaves), root)
    for m in range(5, 11):
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(m, 11, subproof(m, tampered, True), mth(leaves[:m]),
                                      mth(tampered))


@pytest.mark.parametrize("case", cases("inclusion") + cases("consistency"))
def test_the_tests_independent_verifier_agrees_with_the_vectors_too(case: dict[str, Any]) -> None:
    proof = [b64(p) for p in case["proof"] or []]
    if "leafIdx" in case:
        holds = independent.inclusion_holds(case["leafIdx"], case["treeSize"],
                                            b64(case["leafHash"]), proof, b64(case["root"]))
    else:
        holds = independent.consistency_holds(case["size1"], case["size2"], proof,
                                              b64(case["root1"]), b64(case["root2"]))
    assert holds != case["wantErr"], case["desc"]
