"""Coverage certificates on both engines: they verify offline, one byte changed does not,
and their answer is the coverage read model's, computed again from the events."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.audit import notes, offline
from registry.audit import witness as witnessing
from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain import nik as niks
from tests.builders import labusel_pks
from tests.callers import Caller
from tests.integration.logtools import ClientTransport

V1 = "/api/v1"
DAYS = ["2022-09-30", "2022-10-01", "2022-10-20", "2022-10-21", "2022-11-15", "2022-11-16",
        "2022-11-30", "2022-12-01", "2022-12-31", "2023-01-01", "2023-06-30", "2024-01-01"]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_SIGNING_KEY_FILE": str(tmp_path / "registry.key")})


def nik(i: int) -> str:
    return niks.make("12.22", 4, date(1975, 5, 6), "F", i)


def sign(admin: Caller, number: str) -> str:
    answer = admin.post(V1 + "/agreements", json=labusel_pks(agreement_number=number))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.json["id"])


def enroll(admin: Caller, agreement: str, i: int, starts_on: str = "2022-10-01") -> None:
    answer = admin.post(f"{V1}/agreements/{agreement}/enrollments", json={
        "nik": nik(i), "name": f"Pekerja {i}", "occupation": "petani", "starts_on": starts_on})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def post(admin: Caller, path: str, body: dict[str, Any]) -> None:
    answer = admin.post(V1 + path, json=body)
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)


@pytest.fixture
def scenarios(admin: Caller) -> dict[str, str]:
    """Workers 1-7: covered; disenrolled; voided; under a terminated PKS; carried over into
    a renewal; enrolled from December; disenrolled as deceased."""
    a, b, c = sign(admin, "PKS-CERT-A"), sign(admin, "PKS-CERT-B"), sign(admin, "PKS-CERT-C")
    for i in (1, 2, 3, 7):
        enroll(admin, a, i)
    enroll(admin, b, 4)
    enroll(admin, c, 5)
    enroll(admin, a, 6, "2022-12-01")
    post(admin, f"/agreements/{a}/enrollments/{nik(2)}/disenrollment",
         {"ends_on": "2022-11-15", "reason_code": "MOVED_AWAY"})
    post(admin, f"/agreements/{a}/enrollments/{nik(3)}/void", {"reason": "salah input"})
    post(admin, f"/agreements/{a}/enrollments/{nik(7)}/disenrollment",
         {"ends_on": "2022-10-20", "reason_code": "DECEASED"})
    post(admin, f"/agreements/{b}/termination", {"ends_on": "2022-11-30", "reason": "dana habis"})
    post(admin, f"/agreements/{c}/renewals", {"ends_on": "2023-12-31", "reason": "lanjut"})
    return {"a": a, "b": b, "c": c}


def certificate(admin: Caller, i: int, on: str) -> dict[str, Any]:
    answer = admin.get(f"{V1}/workers/{nik(i)}/coverage/certificate?on={on}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return dict(answer.json)


def test_the_certificates_answer_is_the_coverage_read_models_on_every_case(
        registry: Registry, admin: Caller, scenarios: dict[str, str]) -> None:
    vkey = registry.log.vkey()
    for i in range(1, 8):
        for day in DAYS:
            read = admin.get(f"{V1}/workers/{nik(i)}/coverage?on={day}").json
            found = certificate(admin, i, day)
            said = found["answer"]
            assert (said["covered"], said["programs"]) == (read["covered"], read["programs"]), \
                (i, day)
            assert sorted((c["agreement_id"], c["ends_on"]) for c in said["coverages"]) == \
                sorted((c["agreement_id"], c["covered_until"]) for c in read["coverages"]), (i, day)
            assert offline.verify_certificate(found, vkey).answer == said


def test_a_certificate_verifies_offline_and_one_byte_changed_anywhere_that_matters_does_not(
        registry: Registry, admin: Caller, scenarios: dict[str, str]) -> None:
    found = certificate(admin, 5, "2023-06-30")
    vkey = registry.log.vkey()
    verified = offline.verify_certificate(found, vkey)
    assert verified.answer["covered"] and verified.answer["programs"] == ["JKK", "JKM"]
    assert verified.events >= 4  # registered, enrolled, carried over; signed, renewed
    text = json.dumps(found, separators=(",", ":"))
    on = text.index('"on":"2023-06-30"')
    # The asked date may change to one with the same answer: the certificate holds for it too.
    spots = [i for i in range(len(text)) if not on <= i < on + 17]
    checks: set[str] = set()
    for spot in random.Random(5).sample(spots, 300):
        changed = text[:spot] + ("1" if text[spot] != "1" else "2") + text[spot + 1:]
        try:
            document = json.loads(changed)
        except ValueError:
            continue  # the verifier's first check: not JSON at all (see the CLI test)
        with pytest.raises(offline.Invalid) as refused:
            offline.verify_certificate(document, vkey)
        checks.add(refused.value.check)
    assert {"digest", "inclusion", "checkpoint signature"} <= checks, checks


def test_a_certificate_names_what_fails(registry: Registry, admin: Caller,
                                        scenarios: dict[str, str]) -> None:
    found = certificate(admin, 1, "2022-11-01")
    vkey = registry.log.vkey()
    lied = json.loads(json.dumps(found))
    lied["answer"]["covered"] = False
    with pytest.raises(offline.Invalid, match="^answer: the events give covered=True"):
        offline.verify_certificate(lied, vkey)
    gap = json.loads(json.dumps(found))
    gap["events"] = [e for e in gap["events"] if e["event"]["type"] != "WorkerRegistered"]
    with pytest.raises(offline.Invalid, match="^worker: the worker's first event is not"):
        offline.verify_certificate(gap, vkey)
    # The stream is the NIK's only if the key it carries opens that NIK in its first event.
    another = json.loads(json.dumps(found))
    another["question"]["nik"] = nik(2)
    with pytest.raises(offline.Invalid, match="^worker: the certificate's worker is not"):
        offline.verify_certificate(another, vkey)
    wrong_key = json.loads(json.dumps(found))
    wrong_key["worker"]["key"] = "A" * 43
    with pytest.raises(offline.Invalid, match="^worker: the key the certificate carries"):
        offline.verify_certificate(wrong_key, vkey)
    other = notes.Signer("localhost/registry", Ed25519PrivateKey.generate())
    with pytest.raises(offline.Invalid, match="^checkpoint signature"):
        offline.verify_certificate(found, other.vkey)


def test_a_certificate_rests_on_the_newest_checkpoint_a_witness_cosigned(
        registry: Registry, admin: Caller, client: Any, scenarios: dict[str, str],
        tmp_path: Path) -> None:
    bpk = notes.Signer("bpk.go.id/witness", Ed25519PrivateKey.generate(), notes.COSIGNATURE_V1)
    inspectorate = notes.Signer("inspektorat.sumut.go.id/w", Ed25519PrivateKey.generate(),
                                notes.COSIGNATURE_V1)
    registry.log.add_witness_key(str(bpk.vkey))
    token = registry.tokens.create("bpk", "witness", [])
    done = witnessing.run_round(ClientTransport(client, token), registry.log.vkey(), bpk,
                                tmp_path / "bpk")
    assert done.ok, done.message
    cosigned = done.size
    enroll(admin, scenarios["a"], 9)  # the log grows past the cosigned checkpoint
    found = certificate(admin, 1, "2022-11-01")
    assert notes.Checkpoint.parse(notes.Note.parse(found["checkpoint"]).text).size == cosigned
    verified = offline.verify_certificate(found, registry.log.vkey(), [bpk.vkey], 1)
    assert verified.witnesses == ["bpk.go.id/witness"] and verified.tree_size == cosigned
    with pytest.raises(offline.Invalid, match="^witnesses: 1 of the witnesses"):
        offline.verify_certificate(found, registry.log.vkey(), [bpk.vkey, inspectorate.vkey], 2)
    # Worker 9's events are past the cosigned tree: its certificate rests on the tree now.
    newest = certificate(admin, 9, "2022-11-01")
    assert notes.Checkpoint.parse(notes.Note.parse(newest["checkpoint"]).text).size > cosigned
