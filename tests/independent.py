"""A second, independent reading of RFC 9162 and C2SP signed notes, for the tests.

Deliberately imports nothing of the registry: if the registry's Merkle code
(`registry/store/merkle.py`) or its note code were wrong in the same way as
its proofs, these would disagree. The proof checks here split a proof the
other way round from the RFC's step-by-step algorithm the registry follows:
first the levels below the point where the paths to the leaf and to the
tree's last leaf part ("inner"), then the left siblings along the right
border above it.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes, by the RFC's recursive definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(tree_root(leaves[:k]), tree_root(leaves[k:]))


def event_digest(event: dict[str, Any]) -> bytes:
    """The chain's digest of an exported event: position, stream, version, type, bytes."""
    head = f"{event['position']}\n{event['stream']}\n{event['version']}\n{event['type']}\n"
    return hashlib.sha256(head.encode() + base64.b64decode(event["state"])).digest()


def _split(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def inclusion_holds(index: int, size: int, leaf_hash: bytes, proof: list[bytes],
                    root: bytes) -> bool:
    if not 0 <= index < size or len(leaf_hash) != 32:
        return False
    inner, border = _split(index, size)
    if len(proof) != inner + border:
        return False
    h = leaf_hash
    for level, sibling in enumerate(proof[:inner]):
        h = node(sibling, h) if (index >> level) & 1 else node(h, sibling)
    for sibling in proof[inner:]:
        h = node(sibling, h)
    return h == root


def consistency_holds(size1: int, size2: int, proof: list[bytes], root1: bytes,
                      root2: bytes) -> bool:
    if not 0 < size1 <= size2:
        return False
    if size1 == size2:
        return not proof and root1 == root2
    if not proof:
        return False
    inner, border = _split(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    inner -= shift
    seed, rest = (root1, proof) if size1 == 1 << shift else (proof[0], proof[1:])
    if len(rest) != inner + border:
        return False
    mask = (size1 - 1) >> shift
    old, new = seed, seed
    for level, sibling in enumerate(rest[:inner]):
        if (mask >> level) & 1:
            old, new = node(sibling, old), node(sibling, new)
        else:
            new = node(new, sibling)
    for sibling in rest[inner:]:
        old, new = node(sibling, old), node(sibling, new)
    return old == root1 and new == root2


def parse_vkey(vkey: str) -> tuple[str, bytes, bytes]:
    """(name, key id, public key) of a verifier key `name+hex id+base64(type || key)`."""
    name, key_id, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01 and len(raw) == 33, "an Ed25519 note key"
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == key_id
    return name, bytes.fromhex(key_id), raw[1:]


def signed_checkpoint(text: str, vkey: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint, if a signature line of `vkey` verifies."""
    name, key_id, public = parse_vkey(vkey)
    body, _, signatures = text.rpartition("\n\n")
    body += "\n"
    verified = False
    for line in signatures.splitlines():
        dash, signer, encoded = line.split(" ")
        assert dash == "\u2014"
        raw = base64.b64decode(encoded)
        if signer == name and raw[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode())
                verified = True
            except InvalidSignature:
                return "", -1, b""
    if not verified:
        return "", -1, b""
    origin, size, root, *_ = body.split("\n")
    return origin, int(size), base64.b64decode(root)


def proof_holds(answer: dict[str, Any], vkey: str) -> bool:
    """A `/log/proof` answer: the event's digest, its leaf, its inclusion, the checkpoint."""
    _, size, root = signed_checkpoint(answer["checkpoint"], vkey)
    digest = event_digest(answer["event"])
    return (size == answer["tree_size"] and digest.hex() == answer["digest"]
            and answer["event"]["position"] == answer["position"]
            and base64.b64decode(answer["leaf_hash"]) == leaf(digest)
            and inclusion_holds(answer["leaf_index"], size, leaf(digest),
                                [base64.b64decode(h) for h in answer["inclusion"]], root))
