"""The `registry` command line, run as a user would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import REGISTRY

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
    # Serang's PKS has room: enroll two good rows and one with a broken NIK.
    from registry.agreement import Agreement

    serang = Agreement.create_id("PKS/SRG/2024/02")
    csv_file = tmp_path / "petugas.csv"
    csv_file.write_text(
        "nik,name,birth_date,sex,occupation,address,starts_on\n"
        "3673010101800001,Ahmad,,M,petugas pemilu,,2024-02-10\n"
        "3673014101800002,Aisyah,,F,petugas masjid,,2024-02-10\n"
        "3673013201800003,Salah,,,petugas pemilu,,2024-02-10\n", encoding="utf-8")
    enrolled = run(tmp_path, "enroll", str(serang), str(csv_file))
    assert enrolled.returncode == 1
    assert "enrolled 2, rejected 1 of 3 rows" in enrolled.stdout
    report = (tmp_path / "petugas.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert report[0] == "row,nik,name,birth_date,sex,occupation,address,starts_on,code,error"
    assert report[1].startswith("2,3673013201800003,Salah") and "validation_failed" in report[1]
    assert len(report) == 2
