"""Ed25519 key files: the log's signing key and a witness's cosigning key.

A key file is PKCS#8 PEM, mode 0600, never in the database, an export or a
log line. A witness's file also names the witness, in a line before the PEM
block (RFC 7468 lets text precede it), so its cosignatures and its verifier
key always carry the same name. A file is made whole under a temporary name
and then linked into place, so two processes starting at once end up with
one key and nobody ever reads half a file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.store import files

WITNESS_PREFIX = "witness: "
_NAME = re.compile(r"[^\s+\x00-\x1f\x7f]{1,200}")


class KeyFileError(ValueError):
    """A key file that cannot be read or made; the message says what to do."""


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _read(path: Path) -> tuple[str | None, Ed25519PrivateKey]:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise KeyFileError(f"cannot read the key file {path}: {e.strerror}") from None
    name = None
    first = raw.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first.startswith(WITNESS_PREFIX):
        name = first[len(WITNESS_PREFIX):].strip()
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as e:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a key of another kind; the log uses Ed25519")
    return name, key


def make_signing_key(path: str | os.PathLike[str]) -> bool:
    """Make the log's signing key at `path` unless one is there; whether this made it."""
    return files.write_new(Path(path), _pem(Ed25519PrivateKey.generate()))


def signing_key(path: str | os.PathLike[str], *, create: bool = True) -> Ed25519PrivateKey:
    """The log's signing key, made first if there is none and `create`."""
    target = Path(path)
    if create and not target.exists():
        make_signing_key(target)
    if not target.exists():
        raise KeyFileError(f"there is no signing key at {target}: run `registry log keygen` "
                           "(or set REGISTRY_SIGNING_KEY_FILE to where it is)")
    return _read(target)[1]


def witness_key(path: str | os.PathLike[str],
                name: str | None = None) -> tuple[str, Ed25519PrivateKey]:
    """A witness's (name, key) from its file, made first (named `name`) if there is none."""
    target = Path(path)
    if not target.exists():
        if name is None:
            raise KeyFileError(f"there is no witness key at {target}: give --name to make one")
        if not _NAME.fullmatch(name):
            raise KeyFileError("a witness name has no spaces or '+', e.g. bpk.go.id/witness")
        header = f"{WITNESS_PREFIX}{name}\n".encode()
        files.write_new(target, header + _pem(Ed25519PrivateKey.generate()))
    found, key = _read(target)
    if found is None:
        raise KeyFileError(f"{target} names no witness (its first line is not "
                           f"'{WITNESS_PREFIX}NAME'); it is not a witness key file")
    if name is not None and name != found:
        raise KeyFileError(f"{target} is the key of witness {found!r}, not {name!r}")
    return found, key
