"""A witness against a real `registry serve`, run as auditors would run it: cosign rounds,
a certificate checked offline, then a rewrite that `registry verify` misses and the
witness does not."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain import nik as niks
from tests.builders import labusel_pks
from tests.e2e.servers import REGISTRY, Server, start_server, stop_server
from tests.integration.logtools import rewrite_event, state_at

pytestmark = pytest.mark.e2e
V1 = "/api/v1"


def run(server: Server, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REGISTRY, *args], env=server.env, cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False)


def ok(server: Server, folder: Path, *args: str) -> str:
    done = run(server, folder, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def enroll(server: Server, headers: dict[str, str], number: str, first: int, count: int) -> None:
    signed = server.session.post(server.url(V1 + "/agreements"), headers=headers,
                                 json=labusel_pks(agreement_number=number))
    assert signed.status_code == 201, signed.text
    workers = [{"nik": niks.make("12.22", 7, date(1990, 3, 4), "M", first + i),
                "name": f"Pekerja {first + i}", "occupation": "nelayan",
                "starts_on": "2022-10-01"} for i in range(count)]
    done = server.session.post(server.url(f"{V1}/agreements/{signed.json()['id']}/enrollments"
                                          "/batch"), headers=headers, json={"workers": workers})
    assert done.status_code == 201, done.text


def get(server: Server, headers: dict[str, str], path: str) -> Any:
    answer = server.session.get(server.url(V1 + path), headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def test_a_witness_cosigns_a_growing_log_and_reports_a_rewritten_one(
        database_url: str, tmp_path: Path) -> None:
    server = start_server(database_url, tmp_path)
    try:
        admin = {"Authorization": f"Bearer {server.token()}"}
        enroll(server, admin, "PKS-WIT-1", 1, 3)
        # The witness's side: its key, then the registry trusts it and issues it a token.
        witness_vkey = ok(server, tmp_path, "witness", "vkey", "--key", "bpk.key",
                          "--name", "bpk.go.id/witness")
        assert witness_vkey.startswith("bpk.go.id/witness+")
        assert "added witness bpk.go.id/witness" in ok(server, tmp_path, "witness", "add-key",
                                                       witness_vkey)
        token = ok(server, tmp_path, "tokens", "create", "--role", "witness", "--name", "bpk"
                   ).splitlines()[-1]
        log_vkey = ok(server, tmp_path, "log", "vkey")
        round_args = ("witness", "--url", server.base, "--token", token, "--vkey", log_vkey,
                      "--key", "bpk.key", "--state", "bpk-state")
        first = ok(server, tmp_path, *round_args)
        assert first.startswith("cosigned size ")
        held_size = int(first.split()[2])
        assert "\u2014 bpk.go.id/witness " in get(server, admin, "/log/checkpoint").text
        # An auditor's certificate, checked offline with the witness's cosignature.
        nik = niks.make("12.22", 7, date(1990, 3, 4), "M", 2)
        certificate = get(server, admin, f"/workers/{nik}/coverage/certificate?on=2022-11-01")
        (tmp_path / "cert.json").write_text(certificate.text)
        said = ok(server, tmp_path, "log", "verify-certificate", "cert.json", "--vkey", log_vkey,
                  "--witness-vkey", witness_vkey)
        assert said.startswith(f"VALID: worker {niks.mask(nik)} was covered on 2022-11-01 for "
                               "JKK, JKM") and "cosigned by bpk.go.id/witness" in said
        changed = certificate.text.replace('"version":2', '"version":3', 1)
        assert changed != certificate.text
        (tmp_path / "changed.json").write_text(changed)
        refused = run(server, tmp_path, "log", "verify-certificate", "changed.json", "--vkey",
                      log_vkey)
        assert refused.returncode == 1 and refused.stderr.startswith("INVALID: digest: ")
        # The log grows; the next round is consistent.
        enroll(server, admin, "PKS-WIT-2", 10, 2)
        assert ok(server, tmp_path, *round_args).startswith("cosigned size ")
        held = (tmp_path / "bpk-state" / "checkpoint").read_text()
        held_size = int(held.split("\n")[1])
        # An operator changes a worker's occupation in an event the witness has seen,
        # covering its tracks (names are sealed: an edit of one would not even open).
        registry = Registry.open(Settings.from_env({
            "REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "unused.key"),
            "REGISTRY_MASTER_KEY_FILE": server.env["REGISTRY_MASTER_KEY_FILE"]}))
        try:
            position = next(p for p in range(1, held_size + 1)
                            if b'"occupation":"nelayan"' in state_at(registry, p))
            rewrite_event(registry, position, b'"occupation":"nelayan"',
                          b'"occupation":"petani"')
        finally:
            registry.close()
        # ... and starts the registry again on the rewritten database.
        stop_server(server)
        server = start_server(database_url, tmp_path)
        round_args = ("witness", "--url", server.base, *round_args[3:])
        assert ok(server, tmp_path, "verify").startswith("intact: ")
        caught = run(server, tmp_path, *round_args)
        assert caught.returncode == 1 and caught.stderr.startswith("INCONSISTENT: ")
        assert f"of {held_size} leaves held" in caught.stderr
        # The rewritten event's proof: valid by the log's word, not against the held checkpoint.
        proof = get(server, admin, f"/log/proof?position={position}&tree_size={held_size}")
        (tmp_path / "proof.json").write_text(json.dumps(proof.json()))
        assert ok(server, tmp_path, "log", "verify-proof", "proof.json", "--vkey",
                  log_vkey).startswith("VALID: ")
        against = run(server, tmp_path, "log", "verify-proof", "proof.json", "--vkey", log_vkey,
                      "--checkpoint", "bpk-state/checkpoint")
        assert against.returncode == 1
        assert against.stderr.startswith("INVALID: held checkpoint: the log has signed two roots")
    finally:
        stop_server(server)
