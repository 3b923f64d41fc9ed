"""An operator rewrites an event and covers every track `registry verify` can see; the
witness holding an earlier checkpoint catches it, and so does that checkpoint's proof."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api import create_app
from registry.audit import integrity, notes, offline
from registry.audit import witness as witnessing
from registry.bootstrap import Registry
from registry.config import Settings
from tests.integration.logtools import ClientTransport, grow, rewrite_event, state_at

V1 = "/api/v1"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "registry.key")})


@pytest.fixture
def bpk(registry: Registry) -> notes.Signer:
    signer = notes.Signer("bpk.go.id/witness", Ed25519PrivateKey.generate(),
                          notes.COSIGNATURE_V1)
    registry.log.add_witness_key(str(signer.vkey))
    return signer


def test_a_rewritten_event_passes_verify_but_the_witness_says_inconsistent(
        registry: Registry, client: Any, bpk: notes.Signer, tmp_path: Path,
        settings: Settings) -> None:
    transport = ClientTransport(client, registry.tokens.create("bpk", "witness", []))
    state = tmp_path / "bpk-state"
    # The witness cosigns the log as it is.
    _, workers = grow(registry, 3)
    first = witnessing.run_round(transport, registry.log.vkey(), bpk, state)
    assert first.ok, first.message
    assert "\u2014 bpk.go.id/witness " in client.get(
        V1 + "/log/checkpoint", headers=transport.headers).get_data(as_text=True)
    held_text = (state / "checkpoint").read_text()
    # Later: more events, and an operator changes a worker's occupation in an event the
    # witness saw (the name is sealed: an edit of it would not even open).
    grow(registry, 2)
    position = next(p for p in range(1, first.size + 1)
                    if b'"occupation":"petani"' in state_at(registry, p))
    rewrite_event(registry, position, b'"occupation":"petani"', b'"occupation":"nelayan"')
    # ... and starts the registry again on the rewritten database.
    registry = Registry.open(settings)
    client = create_app(registry=registry).test_client()
    transport = ClientTransport(client, registry.tokens.create("bpk-2", "witness", []))
    found = integrity.audit(registry)
    assert found.ok, found.as_dict()  # chain, tree and (re-signed) checkpoints all agree
    # The witness is shown the rewritten log: it refuses to cosign, and says why.
    second = witnessing.run_round(transport, registry.log.vkey(), bpk, state)
    assert not second.ok and not second.consistent
    assert second.message.startswith("INCONSISTENT")
    assert f"of {first.size} leaves held" in second.message and str(second.size) in second.message
    assert registry.log.kept.cosignatures(second.size) == []
    assert (state / "checkpoint").read_text() == held_text  # it keeps what it trusted
    # The changed event's proof, against the checkpoint the witness holds, fails.
    proof = client.get(f"{V1}/log/proof?position={position}&tree_size={first.size}",
                       headers=transport.headers).json
    offline.verify_proof(proof, registry.log.vkey())  # the log's own word for it holds...
    with pytest.raises(offline.Invalid, match="^held checkpoint: the log has signed two roots"):
        offline.verify_proof(proof, registry.log.vkey(), held_text)  # ...the witness's does not
    registry.close()


def test_a_checkpoint_for_a_smaller_tree_or_another_root_is_inconsistent(
        registry: Registry, client: Any, bpk: notes.Signer, tmp_path: Path) -> None:
    transport = ClientTransport(client, registry.tokens.create("bpk", "witness", []))
    state = tmp_path / "state"
    grow(registry, 2)
    assert witnessing.run_round(transport, registry.log.vkey(), bpk, state).ok
    held = notes.Checkpoint.parse(notes.Note.parse((state / "checkpoint").read_text()).text)
    # A forged state: the witness once saw a bigger tree than the log now shows.
    bigger = notes.sign(notes.Checkpoint(held.origin, held.size + 5, held.root).text,
                        registry.log.signer())
    (state / "checkpoint").write_text(str(bigger))
    shrunk = witnessing.run_round(transport, registry.log.vkey(), bpk, state)
    assert not shrunk.consistent and "smaller" in shrunk.message
    other_root = notes.sign(notes.Checkpoint(held.origin, held.size, bytes(32)).text,
                            registry.log.signer())
    (state / "checkpoint").write_text(str(other_root))
    split = witnessing.run_round(transport, registry.log.vkey(), bpk, state)
    assert not split.consistent and "two roots" in split.message
    assert len(list(state.glob("inconsistent-*.txt"))) >= 1


def test_a_cosignature_that_does_not_verify_is_refused_and_nothing_is_kept(
        registry: Registry, client: Any, bpk: notes.Signer, as_role: Any) -> None:
    grow(registry, 1)
    witness = as_role("witness")
    served = witness.get(V1 + "/log/checkpoint").get_data(as_text=True)
    text = notes.Note.parse(served).text
    stranger = notes.Signer("bpk.go.id/witness", Ed25519PrivateKey.generate(),
                            notes.COSIGNATURE_V1)
    good = notes.cosign(text, bpk, 1_800_000_000).line
    cases = {
        "an unconfigured key": (served, notes.cosign(text, stranger, 1_800_000_000).line,
                                "cosignature"),
        "a changed byte": (served, good[:-6] + ("A" if good[-6] != "A" else "B") + good[-5:],
                           "cosignature"),
        "another checkpoint": (served.replace("\n\n", "\nextension\n\n", 1), good, "checkpoint"),
        "a hyphen for the em dash": (served, "-" + good[1:], "cosignature"),
    }
    for name, (checkpoint, line, field) in cases.items():
        answer = witness.post(V1 + "/log/cosignatures",
                              json={"checkpoint": checkpoint, "cosignature": line})
        assert answer.status_code == 422, (name, answer.get_data(as_text=True))
        assert field in answer.json["errors"], name
    size = notes.Checkpoint.parse(text).size
    assert registry.log.kept.cosignatures(size) == []
    kept = witness.post(V1 + "/log/cosignatures", json={"checkpoint": served, "cosignature": good})
    assert kept.status_code == 201, kept.get_data(as_text=True)
    assert kept.json == {"tree_size": size, "witness": "bpk.go.id/witness", "time": 1_800_000_000}
    assert registry.log.kept.cosignatures(size) == [good]
    assert witness.get(V1 + "/log/checkpoint").get_data(as_text=True) == served + good + "\n"
    for role in ("registrar", "auditor"):
        refused = as_role(role).post(V1 + "/log/cosignatures",
                                     json={"checkpoint": served, "cosignature": good})
        assert refused.status_code == 403, role
