"""Signed notes, checkpoints and cosignatures, as C2SP specifies them, with Ed25519.

- signed-note: a text ending in a newline, a blank line, then one line per
  signature: `— <key name> base64(4-byte key id || signature)`; key id =
  SHA-256(name || 0x0A || type || public key)[:4]; a verifier key is written
  `<name>+<hex key id>+base64(type || public key)`. Type 0x01 is Ed25519.
- tlog-checkpoint: the note text `<origin>\\n<tree size>\\n<base64 root>\\n`.
- tlog-cosignature (`cosignature/v1`, type 0x04): a witness signs
  `cosignature/v1\\ntime <T>\\n` followed by the checkpoint's text; its
  signature is base64(key id || 8-byte big-endian T || 64-byte signature).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
EM_DASH = "\u2014"
MAX_SIGNATURES = 64
_NAME = re.compile(r"[^\s+]+")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteError(ValueError):
    """Text that is not a well-formed signed note, checkpoint or key."""


def key_id(name: str, kind: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()[:4]


def strict_b64(text: str) -> bytes:
    """Base64 as RFC 4648 writes it, and only so: another spelling of the same bytes
    (unused low bits set, say) would let a changed text pass for the original."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return raw


def _b64(text: str, what: str) -> bytes:
    try:
        return strict_b64(text)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise NoteError(f"{what} is not base64") from None


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class VerifierKey:
    """Who may sign a note: a name, a key id and an Ed25519 public key of one type."""

    name: str
    kind: int
    public: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.kind, self.public)

    def __str__(self) -> str:
        return (f"{self.name}+{self.key_id.hex()}+"
                f"{base64.b64encode(bytes([self.kind]) + self.public).decode()}")

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """`<name>+<hex key id>+<base64(type || public key)>`; NoteError if it is not one."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not _NAME.fullmatch(parts[0]):
            raise NoteError("a verifier key is NAME+KEYID+KEY, e.g. "
                            "example.org/log+1a2b3c4d+AZ...")
        name, hex_id, encoded = parts
        material = _b64(encoded, "the verifier key's key")
        if len(material) != 33 or material[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("the verifier key is not an Ed25519 key (type 0x01 or 0x04)")
        found = cls(name, material[0], material[1:])
        if hex_id.lower() != found.key_id.hex() or len(hex_id) != 8:
            raise NoteError("the verifier key's key id does not match its name and key")
        return found

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A name and an Ed25519 private key, signing notes (0x01) or cosigning (0x04)."""

    name: str
    key: Ed25519PrivateKey
    kind: int = ED25519

    @property
    def vkey(self) -> VerifierKey:
        return VerifierKey(self.name, self.kind, _public_bytes(self.key.public_key()))

    def line(self, signature: bytes) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(signature).decode()}"


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: the key name, and the key id and signature bytes."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def line(self) -> str:
        return f"{EM_DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}"

    @classmethod
    def parse(cls, line: str) -> Signature:
        prefix = EM_DASH + " "
        if not line.startswith(prefix):
            raise NoteError(f"a signature line starts with '{EM_DASH} ' (an em dash and a space)")
        name, _, encoded = line[len(prefix):].partition(" ")
        if not _NAME.fullmatch(name) or not encoded or " " in encoded:
            raise NoteError(f"a signature line is '{EM_DASH} NAME BASE64'")
        raw = _b64(encoded, f"the signature of {name}")
        if len(raw) < 5:
            raise NoteError(f"the signature of {name} is too short")
        return cls(name, raw[:4], raw[4:])


@dataclass(frozen=True)
class Note:
    text: str  # ends in a newline; the signed message
    signatures: list[Signature] = field(default_factory=list)

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line + "\n" for s in self.signatures)

    @classmethod
    def parse(cls, whole: str) -> Note:
        if _CONTROL.search(whole):
            raise NoteError("a signed note holds no control characters but newlines")
        if not whole.endswith("\n"):
            raise NoteError("a signed note ends with a newline")
        split = whole.rfind("\n\n")
        if split < 0:
            raise NoteError("a signed note has a blank line between its text and signatures")
        lines = whole[split + 2:].splitlines()
        if not lines or len(lines) > MAX_SIGNATURES:
            raise NoteError(f"a signed note has 1 to {MAX_SIGNATURES} signature lines")
        return cls(whole[:split + 1], [Signature.parse(line) for line in lines])

    def signed_by(self, vkey: VerifierKey) -> bool:
        """Whether a signature line of `vkey` (same name and key id) verifies (type 0x01)."""
        return any(s.name == vkey.name and s.key_id == vkey.key_id
                   and vkey.verifies(self.text.encode(), s.signature) for s in self.signatures)


def sign(text: str, signer: Signer) -> Note:
    """The note `text` signed by `signer` (Ed25519 is deterministic: same text, same note)."""
    vkey = signer.vkey
    return Note(text, [Signature(signer.name, vkey.key_id, signer.key.sign(text.encode()))])


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    @property
    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "" or "" in lines[:-1]:
            raise NoteError("a checkpoint is ORIGIN, SIZE and ROOT on lines of their own")
        origin, size, root = lines[:3]
        if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
            raise NoteError("the checkpoint's tree size is not a decimal number")
        digest = _b64(root, "the checkpoint's root")
        if len(digest) != 32:
            raise NoteError("the checkpoint's root is not 32 bytes")
        return cls(origin, int(size), digest)


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_text.encode()


def cosign(checkpoint_text: str, signer: Signer, timestamp: int) -> Signature:
    """A witness's `cosignature/v1` over the checkpoint text at `timestamp` (seconds)."""
    vkey = signer.vkey
    signed = signer.key.sign(cosignature_message(checkpoint_text, timestamp))
    return Signature(signer.name, vkey.key_id, struct.pack(">Q", timestamp) + signed)


def cosignature_time(checkpoint_text: str, signature: Signature,
                     vkey: VerifierKey) -> int | None:
    """The cosignature's timestamp if it is `vkey`'s and verifies; None otherwise."""
    if (vkey.kind != COSIGNATURE_V1 or signature.name != vkey.name
            or signature.key_id != vkey.key_id or len(signature.signature) != 72):
        return None
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    if timestamp >= 1 << 63:
        return None
    message = cosignature_message(checkpoint_text, timestamp)
    return timestamp if vkey.verifies(message, signature.signature[8:]) else None
