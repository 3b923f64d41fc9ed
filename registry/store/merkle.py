"""RFC 9162 section 2.1 Merkle trees: hashes, proofs, and their verification.

Pure functions, no storage. A tree is read through `Node`: the hash of the
complete subtree at (level, index), which covers leaves
[index * 2**level, (index + 1) * 2**level). Whoever stores the tree
(`registry/store/tiles.py`) answers it; proofs are built from those nodes as
RFC 9162 defines PATH (2.1.3.1) and PROOF (2.1.4.1), and checked with the
algorithms of 2.1.3.2 and 2.1.4.2. This module sits beside the hash chain in
`registry/store` because the recorders append to the tree in the events' own
transaction, and the store may not import from the layers above it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
Node = Callable[[int, int], bytes]

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof that does not prove what it claims; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits D[n]."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes already made (or over complete subtrees' roots of one level).

    Pairs are hashed left to right, a lone last node moving up unchanged: the
    same tree as RFC 9162's split at the largest power of two.
    """
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    sha256 = _sha256
    while len(level) > 1:
        paired = [sha256(b"\x01" + level[i] + level[i + 1]).digest()
                  for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def subtree(start: int, end: int, node: Node) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces (start aligned)."""
    width = end - start
    if width & (width - 1) == 0:
        level = width.bit_length() - 1
        return node(level, start >> level)
    k = split_point(width)
    return node_hash(subtree(start, start + k, node), subtree(start + k, end, node))


def tree_root(size: int, node: Node) -> bytes:
    """The root of the tree of the first `size` leaves."""
    return subtree(0, size, node) if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, node: Node) -> list[bytes]:
    """PATH(index, D[size]): the sibling hashes from the leaf up to the root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    proof: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            proof.append(subtree(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree(start, start + k, node))
            start += k
    proof.reverse()
    return proof


def consistency_proof(first: int, second: int, node: Node) -> list[bytes]:
    """PROOF(first, D[second]): what shows the tree of `second` leaves extends that of `first`."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    proof: list[bytes] = []
    m, start, end, complete = first, 0, second, True
    while m != end - start:
        k = split_point(end - start)
        if m <= k:
            proof.append(subtree(start + k, end, node))
            end = start + k
        else:
            proof.append(subtree(start, start + k, node))
            m, start, complete = m - k, start + k, False
    if not complete:
        proof.append(subtree(start, end, node))
    proof.reverse()
    return proof


def _check_hashes(proof: Sequence[bytes]) -> None:
    for i, item in enumerate(proof):
        if len(item) != HASH_SIZE:
            raise ProofError(f"proof hash {i} is {len(item)} bytes, not {HASH_SIZE}")


def _lsb(n: int) -> int:
    return n & 1


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root_hash: bytes) -> None:
    """RFC 9162 2.1.3.2; raises ProofError unless `leaf` is leaf `index` of the tree."""
    if index >= size or index < 0:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"the leaf hash is {len(leaf)} bytes, not {HASH_SIZE}")
    _check_hashes(proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short for the tree size")
    if r != root_hash:
        raise ProofError("the inclusion proof leads to another root than the checkpoint's")


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> None:
    """RFC 9162 2.1.4.2; raises ProofError unless tree `second` extends tree `first`."""
    if second < first:
        raise ProofError(f"the second tree ({second}) is smaller than the first ({first})")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise ProofError("trees of the same size need an empty consistency proof")
        if first_root != second_root:
            raise ProofError(f"two different roots for the same tree size {first}")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_hashes(proof)
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while _lsb(fn):
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if _lsb(fn) or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short for the tree sizes")
    if fr != first_root:
        raise ProofError(f"the proof does not lead to the root of the first tree ({first})")
    if sr != second_root:
        raise ProofError(f"the proof does not lead to the root of the second tree ({second})")
