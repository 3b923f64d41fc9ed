"""The `registry` command line, run as a user would."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from tests.builders import CTX, enrollment_request, sign_labusel_pks
from tests.e2e.servers import REGISTRY

pytestmark = pytest.mark.e2e


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    return subprocess.run([REGISTRY, *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def test_tokens_are_printed_once_listed_without_secrets_and_revocable(tmp_path):
    created = run(tmp_path, "tokens", "create", "--role", "registrar", "--name", "binjai-ops",
                  "--region", "12.75")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("rgt_")
    listed = run(tmp_path, "tokens", "list")
    assert "binjai-ops\tregistrar\t12.75" in listed.stdout
    assert token not in listed.stdout
    assert run(tmp_path, "tokens", "revoke", "binjai-ops").returncode == 0
    again = run(tmp_path, "tokens", "revoke", "binjai-ops")
    assert again.returncode == 1 and "no active token" in again.stderr


def test_a_bad_database_url_is_a_clear_error_not_a_traceback(tmp_path):
    env = {**os.environ, "REGISTRY_DATABASE_URL": "mysql://nope"}
    done = subprocess.run([REGISTRY, "tokens", "list"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    assert "unsupported database URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_demo_then_enroll_a_csv_reports_rejected_rows_next_to_it(tmp_path):
    # Load the demo; its last line is an admin token.
    loaded = run(tmp_path, "demo")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip().splitlines()[-1].startswith("rgt_")
    # Serang's PKS, named by its number, has room: two good rows and one with a broken NIK.
    csv_file = tmp_path / "petugas.csv"
    csv_file.write_text(
        "nik,name,birth_date,sex,occupation,address,starts_on\n"
        "3673010101800001,Ahmad,,M,petugas pemilu,,2024-02-10\n"
        "3673014101800002,Aisyah,,F,petugas masjid,,2024-02-10\n"
        "3673013201800003,Salah,,,petugas pemilu,,2024-02-10\n", encoding="utf-8")
    enrolled = run(tmp_path, "enroll", "PKS/SRG/2024/02", str(csv_file))
    assert enrolled.returncode == 1
    assert "enrolled 2, already enrolled 0, rejected 1 of 3 rows" in enrolled.stdout
    report = (tmp_path / "petugas.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == ("row,line,nik,name,birth_date,sex,occupation,address,starts_on,code,"
                         "error")
    assert report[1].startswith("2,4,3673013201800003,Salah") and "validation_failed" in report[1]
    assert len(report) == 2


def test_the_demo_moves_from_sqlite_to_postgresql_with_its_chain_intact(tmp_path, postgres_url):
    sqlite_env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    pg_env = {**os.environ, "REGISTRY_DATABASE_URL": postgres_url}

    def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([REGISTRY, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)

    # Load the demo on SQLite and keep its head, as an auditor would.
    assert cli(sqlite_env, "demo").returncode == 0
    verified = cli(sqlite_env, "verify")
    assert verified.returncode == 0, verified.stderr
    chain, tree = verified.stdout.splitlines()[:2]
    head = chain.split("head ")[1].strip()
    # Export, import into PostgreSQL, verify against the SQLite head: the same Merkle root.
    assert cli(sqlite_env, "export", "--out", "log.ndjson").returncode == 0
    imported = cli(pg_env, "import", "log.ndjson")
    assert imported.returncode == 0, imported.stderr
    moved = cli(pg_env, "verify", "--expect-head", head)
    assert moved.returncode == 0 and moved.stdout.splitlines()[1] == tree
    # Exporting the imported copy gives the same bytes.
    assert cli(pg_env, "export", "--out", "again.ndjson").returncode == 0
    assert (tmp_path / "log.ndjson").read_bytes() == (tmp_path / "again.ndjson").read_bytes()
    # A second import into the now non-empty store is refused.
    again = cli(pg_env, "import", "log.ndjson")
    assert again.returncode == 1 and "not empty" in again.stderr
    # One changed byte in one stored event: verify fails and names its position.
    with sqlite3.connect(tmp_path / "cli.db") as db:
        state = bytearray(db.execute("SELECT state FROM stored_events WHERE rowid = 42")
                          .fetchone()[0])
        state[-2] ^= 1
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 42", (bytes(state),))
    tampered = cli(sqlite_env, "verify", "--expect-head", head)
    assert tampered.returncode == 1
    assert "first bad position 42" in tampered.stderr


def test_an_altered_export_file_is_refused_and_nothing_is_written(tmp_path, postgres_url):
    sqlite_env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    run(tmp_path, "tokens", "create", "--role", "admin", "--name", "x")
    # A log of some 300 events: a signing and a batch of 150 workers.
    registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL":
                                                 sqlite_env["REGISTRY_DATABASE_URL"]}))
    agreement_id = sign_labusel_pks(registry)
    registry.app.enroll_workers(CTX, agreement_id,
                                [enrollment_request(i, row=i) for i in range(150)])
    registry.close()
    assert subprocess.run([REGISTRY, "export", "--out", "log.ndjson"], env=sqlite_env,
                          cwd=tmp_path, capture_output=True, timeout=120).returncode == 0
    lines = (tmp_path / "log.ndjson").read_text().splitlines()
    del lines[200]  # one event gone from the middle
    (tmp_path / "bad.ndjson").write_text("\n".join(lines) + "\n")
    pg_env = {**os.environ, "REGISTRY_DATABASE_URL": postgres_url}
    refused = subprocess.run([REGISTRY, "import", "bad.ndjson"], env=pg_env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert "line 201" in refused.stderr and "breaks the hash chain" in refused.stderr
    assert "Traceback" not in refused.stderr
    listed = subprocess.run([REGISTRY, "verify"], env=pg_env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and "intact: 0 events" in listed.stdout
