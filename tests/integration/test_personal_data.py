"""Personal data (DESIGN.md section 12): sealed at rest, erased by destroying a key with
every proof intact, kept under a legal hold, opened only with the store's master key."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from projections import coverage_queries, reveal
from registry.audit import integrity, transfer
from registry.bootstrap import Registry
from registry.config import Settings
from registry.store import sealing
from registry.store.keyring import PrivacyKeyError, events_in_clear, make_master_key
from tests.builders import enroll_worker, labusel_pks, nik, sign_labusel_pks
from tests.callers import Caller

V1 = "/api/v1"
NAME, ADDRESS = "Siti Rahmawati Nasution", "Jl. Kartini Gang Melati 17 Kotapinang"
ERASURE = {"reason": "permintaan pekerja 1 Desember 2026", "legal_basis": "UU 27/2022 Pasal 8"}


def _enroll(admin: Caller, i: int = 1) -> str:
    agreement = admin.post(f"{V1}/agreements", json=labusel_pks())
    agreement_id = agreement.json["id"] if agreement.status_code == 201 else admin.get(
        f"{V1}/agreements?agreement_number=PKS-LABUSEL-2022").json["items"][0]["id"]
    enrolled = admin.post(f"{V1}/agreements/{agreement_id}/enrollments", json={
        "nik": nik(i), "name": NAME, "occupation": "petani", "address": ADDRESS,
        "birth_date": "1981-02-03", "starts_on": "2022-10-01"})
    assert enrolled.status_code == 201, enrolled.get_data(as_text=True)
    return str(agreement_id)


def _every_stored_text(registry: Registry) -> str:
    """Every row of every table of the store, as text; and on SQLite its files' bytes."""
    store = registry.store
    with store.transaction() as cur:
        if store.engine == "sqlite":
            tables = [r[0] for r in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
        else:
            tables = [r[0] for r in cur.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                (registry.settings.database.schema,)).fetchall()]
        text = "".join(repr(cur.execute(f"SELECT * FROM {t}").fetchall())  # noqa: S608
                       for t in tables)
    if store.engine == "sqlite":
        for suffix in ("", "-wal"):
            path = Path(registry.settings.database.path + suffix)
            if path.exists():
                text += path.read_bytes().decode("latin-1")
    else:
        database = registry.settings.database
        dump = subprocess.run(
            ["pg_dump", "-h", database.host, "-p", str(database.port), "-U", database.user,
             "-n", database.schema, database.dbname], capture_output=True, text=True,
            check=True, env={**os.environ, "PGPASSWORD": database.password or ""})
        text += dump.stdout
    return text


def _clear_values() -> list[str]:
    return [nik(1), NAME, ADDRESS, "Rahmawati", "Kartini"]


def test_no_nik_name_or_address_is_stored_exported_or_logged_in_clear(
        registry: Registry, admin: Caller, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    agreement_id = _enroll(admin)
    admin.post(f"{V1}/workers/{nik(1)}/corrections",
               json={"reason": "alamat baru", "address": ADDRESS + " Baru"})
    assert admin.get(f"{V1}/workers/{nik(1)}").json["address"] == ADDRESS + " Baru"
    admin.get(f"{V1}/workers/{nik(1)}/coverage?on=2022-11-01")
    admin.get(f"{V1}/workers/{nik(1)}/history")
    admin.get(f"{V1}/agreements/{agreement_id}/enrollments")
    registry.projections.catch_up()
    exported = io.StringIO()
    transfer.export(registry.app, registry.store, exported)
    for where, text in (("the store", _every_stored_text(registry)),
                        ("an export", exported.getvalue()), ("the log", caplog.text)):
        for value in _clear_values():
            assert value not in text, f"{value!r} in clear in {where}"
    assert events_in_clear(registry.app.keyring) == 0


def test_answers_show_the_person_to_those_allowed(admin: Caller) -> None:
    agreement_id = _enroll(admin)
    worker = admin.get(f"{V1}/workers/{nik(1)}").json
    assert (worker["nik"], worker["name"], worker["address"], worker["birth_date"]) == (
        nik(1), NAME, ADDRESS, "1981-02-03")
    listed = admin.get(f"{V1}/agreements/{agreement_id}/enrollments").json["items"]
    assert [(e["nik"], e["name"]) for e in listed] == [(nik(1), NAME)]
    history = admin.get(f"{V1}/workers/{nik(1)}/history").json["events"]
    assert history[0]["data"]["nik"] == nik(1) and history[0]["data"]["name"] == NAME


def test_erasure_forgets_the_person_and_every_proof_still_verifies(
        registry: Registry, admin: Caller, tmp_path: Path) -> None:
    agreement_id = _enroll(admin)
    worker_id = str(registry.app.worker_id(nik(1)))
    erased = admin.post(f"{V1}/workers/{nik(1)}/erasure", json=ERASURE)
    assert erased.status_code == 201, erased.get_data(as_text=True)
    assert erased.json["worker_id"] == worker_id
    assert admin.get(f"{V1}/workers/{nik(1)}").status_code == 404
    assert admin.get(f"{V1}/workers/{nik(1)}/coverage/certificate?on=2022-11-01"
                     ).status_code == 404
    assert admin.post(f"{V1}/workers/{nik(1)}/erasure", json=ERASURE).json["code"] == (
        "already_erased")
    # The facts stay, under the pseudonym: the agreement's history shows the events erased.
    events = admin.get(f"{V1}/agreements/{agreement_id}/history").json["events"]
    about_her = [e for e in events if e["stream"] == worker_id]
    enrolled = [e for e in about_her if e["type"] == "WorkerEnrolled"]
    assert enrolled and all(e["erased"] and e["data"]["name"] is None
                            and e["data"]["address"] is None for e in enrolled)
    assert admin.get(f"{V1}/agreements/{agreement_id}").json["enrolled"] == 1
    [listed] = admin.get(f"{V1}/agreements/{agreement_id}/enrollments").json["items"]
    assert listed["erased"] and listed["name"] is None and "nik" not in listed
    assert listed["starts_on"] == "2022-10-01"  # her coverage stays, under the pseudonym
    # Every sealed field of hers is undecryptable with any key the registry holds.
    with registry.store.transaction() as cur:
        keys = cur.execute("SELECT worker_id, wrapped FROM worker_keys").fetchall()
        states = [json.loads(bytes(row[0])) for row in cur.execute(
            "SELECT state FROM " + registry.app.recorder.events_table_name
            + " WHERE topic IN ('WorkerRegistered', 'WorkerEnrolled')").fetchall()]
    master, _, _ = registry.app.keyring.secrets()
    held = [master] + [sealing.unwrap(master, stream, wrapped) for stream, wrapped in keys
                       if wrapped is not None]
    sealed = [s[f] for s in states for f in ("nik", "name", "address") if s.get(f)]
    assert sealed and all(sealing.is_sealed(value) for value in sealed)
    for value in sealed:
        for key in held:
            with pytest.raises(sealing.Unsealable):
                sealing.unseal(key, worker_id, "name", value)
    # The chain, the tree, and an export imported into a fresh store.
    assert integrity.audit(registry).ok
    path = tmp_path / "export.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        transfer.export(registry.app, registry.store, out)
    copy = Registry.open(dataclasses.replace(
        registry.settings, database=Settings.from_env(
            {"REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/copy.db"}).database,
        master_key_file=registry.settings.master_key_path))
    try:
        transfer.import_file(copy.app, copy.store, str(path))
        assert integrity.audit(copy).chain.head_hash == integrity.audit(registry).chain.head_hash
        assert copy.app.keyring.key(worker_id) is None
    finally:
        copy.close()


def test_a_legal_hold_keeps_the_data_until_it_is_lifted(admin: Caller) -> None:
    _enroll(admin)
    hold = {"held": True, "reason": "perkara kecelakaan kerja No. 12/Pdt.G/2026"}
    assert admin.put(f"{V1}/workers/{nik(1)}/legal-hold", json=hold).status_code == 200
    refused = admin.post(f"{V1}/workers/{nik(1)}/erasure", json=ERASURE)
    assert (refused.status_code, refused.json["code"]) == (409, "legal_hold")
    assert admin.get(f"{V1}/workers/{nik(1)}").status_code == 200
    lifted = admin.put(f"{V1}/workers/{nik(1)}/legal-hold",
                       json={**hold, "held": False, "reason": "perkara selesai"})
    assert lifted.status_code == 200
    assert admin.post(f"{V1}/workers/{nik(1)}/erasure", json=ERASURE).status_code == 201


def test_erasure_of_an_unknown_nik_is_404_and_only_admins_erase(
        admin: Caller, as_role: Any) -> None:
    _enroll(admin)
    assert admin.post(f"{V1}/workers/{nik(9)}/erasure", json=ERASURE).status_code == 404
    for role in ("registrar", "auditor"):
        refused = as_role(role).post(f"{V1}/workers/{nik(1)}/erasure", json=ERASURE)
        assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert admin.get(f"{V1}/workers/{nik(1)}").status_code == 200


def test_a_store_refuses_to_open_without_its_master_key_or_with_another(
        registry: Registry, admin: Caller, tmp_path: Path) -> None:
    _enroll(admin)
    other = tmp_path / "other.key"
    make_master_key(other)
    for path, says in ((tmp_path / "missing.key", "there is no master key"),
                       (other, "does not open this store's keys")):
        with pytest.raises(PrivacyKeyError, match=says) as refused:
            Registry.open(dataclasses.replace(registry.settings, master_key_file=str(path)))
        assert "REGISTRY_MASTER_KEY_FILE" in str(refused.value)
    assert not (tmp_path / "missing.key").exists()


def test_an_import_under_another_master_key_is_refused_before_anything_is_written(
        registry: Registry, admin: Caller, tmp_path: Path) -> None:
    _enroll(admin)
    path = tmp_path / "export.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        transfer.export(registry.app, registry.store, out)
    other = tmp_path / "other.key"
    make_master_key(other)
    target = Registry.open(Settings.from_env({
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/target.db",
        "REGISTRY_MASTER_KEY_FILE": str(other)}))
    try:
        with pytest.raises(transfer.TransferRefused, match="REGISTRY_MASTER_KEY_FILE"):
            transfer.import_file(target.app, target.store, str(path))
        assert target.app.head_position() == 0
    finally:
        target.close()


def test_rotating_the_master_key_touches_no_event(registry: Registry, admin: Caller,
                                                  tmp_path: Path) -> None:
    _enroll(admin)
    head = integrity.audit(registry).chain.head_hash
    fresh = tmp_path / "fresh.key"
    make_master_key(fresh)
    from registry.store.keyring import read_master_key

    assert registry.app.keyring.rotate(read_master_key(fresh)) >= 1
    registry.app.keyring._cache.clear()
    assert admin.get(f"{V1}/workers/{nik(1)}").json["name"] == NAME
    rotated = Registry.open(dataclasses.replace(registry.settings, master_key_file=str(fresh)))
    try:
        assert integrity.audit(rotated).chain.head_hash == head
        assert rotated.app.get_worker(nik(1)).name == NAME
    finally:
        rotated.close()


def test_keys_rotate_on_the_command_line_keeps_the_old_key_aside_and_the_store_open(
        tmp_path: Path) -> None:
    from click.testing import CliRunner

    from registry.entrypoints.cli import main

    env = {"REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/registry.db"}
    registry = Registry.open(Settings.from_env(env))
    try:
        enroll_worker(registry, sign_labusel_pks(registry), 1)
    finally:
        registry.close()
    old = (tmp_path / "registry.master.key").read_bytes()
    rotated = CliRunner().invoke(main, ["keys", "rotate"], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert "rotated: 1 data keys" in rotated.output
    assert [p.read_bytes() for p in tmp_path.glob("registry.master.key.retired-*")] == [old]
    assert (tmp_path / "registry.master.key").read_bytes() != old
    verified = CliRunner().invoke(main, ["verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "personal data: 0 events hold it in clear" in verified.output


def test_a_nik_the_reader_gave_opens_a_worker_as_the_stored_nik_does(
        registry: Registry, admin: Caller) -> None:
    """A look-up by NIK passes that NIK to `reveal` instead of reading it again; the
    answer is the same for a worker with a key and for one erased (no key)."""
    agreement_id = _enroll(admin, 1)
    _enroll(admin, 2)
    assert admin.post(f"{V1}/workers/{nik(2)}/erasure", json=ERASURE).status_code == 201
    registry.projections.catch_up()
    for i in (1, 2):
        pseudonym = str(registry.app.worker_id(nik(i)))
        with registry.store.transaction() as cur:
            def rows(cur: Any = cur, pseudonym: str = pseudonym) -> list[dict[str, Any]]:
                return [r for r in coverage_queries.agreement_enrollments(
                    cur, agreement_id, on=date(2022, 11, 1), status=None, after=0, limit=10)[0]
                    if r["nik"] == pseudonym]
            read = reveal.reveal(cur, registry.app.keyring, rows())
            given = reveal.reveal(cur, registry.app.keyring, rows(), {pseudonym: nik(i)})
        assert read and given == read
        assert ("nik" not in read[0]) if i == 2 else (read[0]["nik"] == nik(i))
