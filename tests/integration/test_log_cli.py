"""`registry log` and `registry witness add-key` from the command line, on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from registry.bootstrap import Registry
from registry.config import Settings
from registry.entrypoints.cli import main
from tests.integration.logtools import grow


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {"REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "keys" / "registry.key")}


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def invoke(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=env)


def test_keygen_makes_a_private_key_once_and_vkey_prints_its_verifier_key(
        env: dict[str, str], tmp_path: Path) -> None:
    missing = invoke(env, "log", "vkey")
    assert missing.exit_code == 1 and "registry log keygen" in missing.output
    made = invoke(env, "log", "keygen")
    assert made.exit_code == 0, made.output
    key = tmp_path / "keys" / "registry.key"
    assert key.stat().st_mode & 0o777 == 0o600
    vkey = invoke(env, "log", "vkey").output.strip()
    assert vkey.startswith("localhost/registry+") and vkey in made.output
    again = invoke(env, "log", "keygen")
    assert again.exit_code == 1 and "already holds a signing key" in again.output
    assert invoke(env, "log", "vkey").output.strip() == vkey


def test_checkpoint_prints_the_signed_note_and_verify_proof_checks_a_proof(
        registry: Registry, env: dict[str, str], tmp_path: Path) -> None:
    grow(registry, 3)
    printed = invoke(env, "log", "checkpoint")
    assert printed.exit_code == 0, printed.output
    size = registry.app.head_position()
    assert printed.output.startswith(f"localhost/registry\n{size}\n")
    assert "\n\n\u2014 localhost/registry " in printed.output
    vkey = invoke(env, "log", "vkey").output.strip()
    proof = registry.log.proof(2)
    good = tmp_path / "proof.json"
    good.write_text(json.dumps(proof))
    valid = invoke(env, "log", "verify-proof", str(good), "--vkey", vkey)
    assert valid.exit_code == 0 and valid.output.startswith("VALID: ")
    held = tmp_path / "held.txt"
    held.write_text(printed.output)
    assert invoke(env, "log", "verify-proof", str(good), "--vkey", vkey, "--checkpoint",
                  str(held)).exit_code == 0
    cases = {
        "digest": dict(proof, event=dict(proof["event"], version=proof["event"]["version"] + 1)),
        "inclusion": dict(proof, leaf_index=proof["leaf_index"] + 1),
        "checkpoint signature": dict(proof, checkpoint=proof["checkpoint"].replace(
            f"\n{size}\n", f"\n{size + 1}\n")),
        "format": dict(proof, leaf_hash="not base64"),
    }
    for check, document in cases.items():
        bad = tmp_path / f"{check}.json"
        bad.write_text(json.dumps(document))
        refused = invoke(env, "log", "verify-proof", str(bad), "--vkey", vkey)
        assert refused.exit_code == 1 and refused.output.startswith(f"INVALID: {check}"), \
            (check, refused.output)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert invoke(env, "log", "verify-proof", str(garbage), "--vkey", vkey).output.startswith(
        "INVALID: format")
    assert invoke(env, "log", "verify-proof", str(good), "--vkey", "nonsense").exit_code == 2


def test_witness_add_key_takes_a_witness_key_and_refuses_a_logs(
        registry: Registry, env: dict[str, str], tmp_path: Path) -> None:
    witness_key = tmp_path / "w.key"
    made = invoke(env, "witness", "vkey", "--key", str(witness_key), "--name", "bpk.go.id/w")
    assert made.exit_code == 0 and made.output.startswith("bpk.go.id/w+")
    assert witness_key.stat().st_mode & 0o777 == 0o600
    other = invoke(env, "witness", "vkey", "--key", str(witness_key), "--name", "another")
    assert other.exit_code == 1 and "is the key of witness 'bpk.go.id/w'" in other.output
    added = invoke(env, "witness", "add-key", made.output.strip())
    assert added.exit_code == 0 and "added witness bpk.go.id/w" in added.output
    assert "already had" in invoke(env, "witness", "add-key", made.output.strip()).output
    log_key = str(registry.log.vkey())
    refused = invoke(env, "witness", "add-key", log_key)
    assert refused.exit_code == 2 and "type 0x04" in refused.output
    incomplete = invoke(env, "witness", "--url", "http://127.0.0.1:9")
    assert incomplete.exit_code == 2 and "--token" in incomplete.output
