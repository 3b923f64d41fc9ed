"""Personal fields sealed field by field, each worker under a data key of its own.

A worker's NIK, name, birth date and address are stored only as sealed text:
`pd1.<version>.<base64url(nonce | AES-256-GCM ciphertext)>`, with the stream
id, the event's version and the field's name as associated data, so a sealed
value cannot be moved to another worker, event or field unnoticed. Every other
field stays plain JSON: read models are built from it without any key, and a
read model that needs a personal field keeps the sealed text as it is.

Destroying a worker's data key (erasure) leaves every sealed value of that
worker undecryptable while the stored bytes, and so the hash chain and the
Merkle tree over them, stay exactly as they were.
"""

from __future__ import annotations

import base64
import binascii
import os
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "pd1."
KEY_BYTES = 32
_NONCE = 12

# The personal fields of each kind of event, by topic. Sex and occupation stay
# plain: counts by them are read-model work, and neither identifies a person.
PERSONAL: dict[str, tuple[str, ...]] = {
    "WorkerRegistered": ("nik", "name", "birth_date", "address"),
    "WorkerEnrolled": ("name", "birth_date", "address"),
    "WorkerCorrected": ("name", "birth_date", "address"),
}
PERSONAL_FIELDS = ("nik", "name", "birth_date", "address")
_FIELD_BYTES = {field: field.encode() for field in PERSONAL_FIELDS}


class Unsealable(ValueError):
    """Sealed text that this key does not open (another key, or altered bytes)."""


def is_sealed(value: Any) -> bool:
    return type(value) is str and value.startswith(PREFIX)


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64(data: bytes) -> str:
    # base64.urlsafe_b64encode, without its two layers of calls: sealing runs it for
    # every personal field of every event.
    return binascii.b2a_base64(data, newline=False).rstrip(b"=").translate(_URLSAFE).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encoded(key: bytes) -> str:
    """A key as text (a certificate carries its worker's)."""
    return _b64(key)


def decoded_key(text: str) -> bytes:
    try:
        key = _unb64(text)
    except (ValueError, binascii.Error):
        raise Unsealable("not a key") from None
    if len(key) != KEY_BYTES:
        raise Unsealable("not a key")
    return key


def _context(stream: str, version: int, field: str) -> bytes:
    return f"{stream}|{version}|{field}".encode()


def as_text(field: str, value: Any) -> str:
    """What is sealed of a value: its text (a birth date as ISO)."""
    return value.isoformat() if isinstance(value, date) else str(value)


def from_text(field: str, text: str) -> Any:
    return date.fromisoformat(text) if field == "birth_date" else text


def seal_fields(cipher: AESGCM, stream: str, version: int, state: dict[str, Any],
                fields: list[str]) -> None:
    """`seal`, in place, for the `fields` of one event's `state` (a cipher made of the
    worker's key): the same sealed text, made with less work per field, as every
    personal field of every event of a batch goes through here. The nonces are one
    random draw cut in twelve-byte pieces: each is as random as a draw of its own."""
    nonces = os.urandom(_NONCE * len(fields))
    prefix, context = f"{PREFIX}{version}.", f"{stream}|{version}|".encode()
    encrypt, b64 = cipher.encrypt, binascii.b2a_base64
    for at, field in enumerate(fields):
        nonce = nonces[at * _NONCE:(at + 1) * _NONCE]
        value = state[field]
        text = value if type(value) is str else as_text(field, value)
        data = nonce + encrypt(nonce, text.encode(), context + _FIELD_BYTES[field])
        state[field] = prefix + b64(data, newline=False).rstrip(b"=").translate(_URLSAFE).decode()


def version_of(sealed: str) -> int:
    """The version of the event a value was sealed in (part of what it is bound to)."""
    try:
        return int(sealed[len(PREFIX):sealed.index(".", len(PREFIX))])
    except ValueError:
        raise Unsealable("not sealed text") from None


def unseal(key: bytes, stream: str, field: str, sealed: str) -> Any:
    """The value sealed in `sealed`; Unsealable if `key` does not open it."""
    version = version_of(sealed)
    try:
        data = _unb64(sealed[sealed.index(".", len(PREFIX)) + 1:])
        text = AESGCM(key).decrypt(data[:_NONCE], data[_NONCE:],
                                   _context(stream, version, field))
    except (InvalidTag, ValueError, binascii.Error):
        raise Unsealable(f"the {field} of stream {stream} does not open with this key") from None
    return from_text(field, text.decode())


def wrap(master: bytes | AESGCM, label: str, key: bytes) -> str:
    """`key` encrypted under the master key (or a cipher made of it), bound to `label`
    (whose key it is)."""
    nonce = os.urandom(_NONCE)
    cipher = master if isinstance(master, AESGCM) else AESGCM(master)
    return _b64(nonce + cipher.encrypt(nonce, key, label.encode()))


def unwrap(master: bytes, label: str, wrapped: str) -> bytes:
    try:
        data = _unb64(wrapped)
        return AESGCM(master).decrypt(data[:_NONCE], data[_NONCE:], label.encode())
    except (InvalidTag, ValueError, binascii.Error):
        raise Unsealable(f"the key of {label} does not open with this master key") from None
