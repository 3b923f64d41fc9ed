"""Signed notes, checkpoints and cosignatures as the C2SP specifications write them."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.audit import notes

# The example of c2sp.org/signed-note: this verifier key verifies this note.
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YE"
             "q6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")


def test_the_signed_note_specification_example_verifies_with_its_verifier_key() -> None:
    vkey = notes.VerifierKey.parse(SPEC_VKEY)
    assert (vkey.name, vkey.kind, vkey.key_id.hex()) == ("example.com/foo", 1, "530d903a")
    assert str(vkey) == SPEC_VKEY
    note = notes.Note.parse(SPEC_NOTE)
    assert note.text == "This is an example message.\n"
    assert note.signed_by(vkey)
    assert str(note) == SPEC_NOTE


def test_a_note_with_one_character_changed_no_longer_verifies() -> None:
    vkey = notes.VerifierKey.parse(SPEC_VKEY)
    changed = notes.Note.parse(SPEC_NOTE.replace("example message", "example massage"))
    assert not changed.signed_by(vkey)


def signer(name: str = "localhost/registry", kind: int = notes.ED25519) -> notes.Signer:
    return notes.Signer(name, Ed25519PrivateKey.generate(), kind)


def test_a_checkpoint_is_origin_size_and_root_then_an_em_dash_signature_line() -> None:
    log = signer()
    checkpoint = notes.Checkpoint("localhost/registry", 12, bytes(range(32)))
    note = notes.sign(checkpoint.text, log)
    text = str(note)
    lines = text.split("\n")
    assert lines[:4] == ["localhost/registry", "12", base64.b64encode(bytes(range(32))).decode(),
                         ""]
    assert lines[4].startswith("\u2014 localhost/registry ")
    raw = base64.b64decode(lines[4].split(" ")[2])
    assert raw[:4] == log.vkey.key_id and len(raw) == 68
    assert notes.Note.parse(text).signed_by(log.vkey)
    assert notes.Checkpoint.parse(notes.Note.parse(text).text) == checkpoint
    # Ed25519 is deterministic: the same checkpoint is the same note.
    assert str(notes.sign(checkpoint.text, log)) == text


def test_the_key_id_is_the_hash_of_name_newline_type_and_public_key() -> None:
    import hashlib

    log = signer()
    public = log.vkey.public
    expected = hashlib.sha256(b"localhost/registry\n\x01" + public).digest()[:4]
    assert log.vkey.key_id == expected
    material = base64.b64encode(b"\x01" + public).decode()
    assert str(log.vkey) == f"localhost/registry+{expected.hex()}+{material}"


def test_a_cosignature_signs_the_header_the_time_and_the_checkpoint() -> None:
    witness = signer("bpk.go.id/witness", notes.COSIGNATURE_V1)
    text = notes.Checkpoint("localhost/registry", 3, bytes(32)).text
    signature = notes.cosign(text, witness, 1_700_000_000)
    assert signature.key_id == notes.key_id("bpk.go.id/witness", 0x04, witness.vkey.public)
    assert struct.unpack(">Q", signature.signature[:8]) == (1_700_000_000,)
    message = b"cosignature/v1\ntime 1700000000\n" + text.encode()
    assert witness.vkey.verifies(message, signature.signature[8:])
    assert notes.cosignature_time(text, notes.Signature.parse(signature.line),
                                  witness.vkey) == 1_700_000_000
    other = notes.Checkpoint("localhost/registry", 4, bytes(32)).text
    assert notes.cosignature_time(other, signature, witness.vkey) is None
    # The log's own key type (0x01) never counts as a cosignature.
    assert notes.cosignature_time(text, signature, signer("bpk.go.id/witness").vkey) is None


@pytest.mark.parametrize("text", [
    "no blank line\n\u2014 a AAAAAAA=\n",
    "text\n\n- a AAAAAAAA\n",                      # a hyphen, not an em dash
    "text\n\n\u2014 a AAAAAAAA",                   # no final newline
    "te\x01xt\n\n\u2014 a AAAAAAAA\n",             # a control character
    "text\n\n\u2014 a not-base64!\n",
    "text\n\n\u2014 a AAAAAAB=\n",                  # base64 with unused bits set
    "text\n\n",
])
def test_malformed_notes_are_refused(text: str) -> None:
    with pytest.raises(notes.NoteError):
        notes.Note.parse(text)


@pytest.mark.parametrize("text", [
    "origin\n012\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    "origin\n12\nAAAA\n",
    "origin\n12\n",
    "origin\n\n12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
])
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(notes.NoteError):
        notes.Checkpoint.parse(text)


@pytest.mark.parametrize("text", [
    "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong key id
    "example.com/foo+530d903a",
    "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    "example.com/foo+530d903a+AkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong type
])
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(notes.NoteError):
        notes.VerifierKey.parse(text)


def test_a_verifier_key_whose_base64_holds_a_plus_still_parses() -> None:
    for _ in range(200):
        vkey = signer().vkey
        if "+" in str(vkey).split("+", 2)[2]:
            assert notes.VerifierKey.parse(str(vkey)) == vkey
            return
    pytest.fail("no key with a + in its base64 among 200")
