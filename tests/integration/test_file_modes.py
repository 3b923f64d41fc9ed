"""Files the registry makes are 0600: the database and its companions, exports and
rejected-rows reports, whatever the umask of whoever started it.
"""

from __future__ import annotations

import csv
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from registry.store.files import private_sqlite_file
from tests.builders import nik, sign_labusel_pks

REGISTRY = str(Path(sys.executable).with_name("registry"))


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The umask of most accounts: without care, files would be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def cli(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The master key where this process made it (run elsewhere, in `cwd`).
    master_key = os.path.abspath(Settings.from_env(
        {"REGISTRY_DATABASE_URL": database_url}).master_key_path)
    return subprocess.run([REGISTRY, *args], env={**os.environ,
                                                  "REGISTRY_DATABASE_URL": database_url,
                                                  "REGISTRY_MASTER_KEY_FILE": master_key},
                          cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def sqlite_files(database: Path) -> list[Path]:
    return [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm", ".lock")]


def test_a_new_sqlite_database_and_the_files_beside_it_are_0600(tmp_path):
    database = tmp_path / "registry.db"
    registry = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": f"sqlite:///{database}"}))
    try:
        sign_labusel_pks(registry)
        registry.tokens.create("ops", "admin", [])
        # While it is open: the write-ahead log and shared memory are there too.
        files = sqlite_files(database)
        assert all(f.exists() for f in files), [f.name for f in files if not f.exists()]
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
    finally:
        registry.close()


def test_an_older_database_readable_by_others_is_made_0600_when_opened(tmp_path, caplog):
    database = tmp_path / "registry.db"
    settings = Settings.from_env({"REGISTRY_DATABASE_URL": f"sqlite:///{database}"})
    Registry.open(settings).close()
    for f in sqlite_files(database):
        if f.exists():
            f.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="registry.store.files"):
        registry = Registry.open(settings)
    try:
        sign_labusel_pks(registry)
        assert {f.name: oct(mode(f)) for f in sqlite_files(database)} == {
            f.name: "0o600" for f in sqlite_files(database)}
    finally:
        registry.close()
    assert "registry.db was readable by other accounts (mode 644); made it 0600" in caplog.text


def test_a_database_the_command_line_creates_is_0600(tmp_path):
    database = tmp_path / "cli.db"
    done = cli(f"sqlite:///{database}", tmp_path, "tokens", "create", "--role", "admin",
               "--name", "ops")
    assert done.returncode == 0, done.stderr
    assert oct(mode(database)) == "0o600"
    assert oct(mode(f"{database}.lock")) == "0o600"


def test_an_export_is_0600(registry, database_url, tmp_path):
    sign_labusel_pks(registry)
    out = tmp_path / "log.ndjson"
    done = cli(database_url, tmp_path, "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_text().count("\n") >= 1
    assert oct(mode(out)) == "0o600"


def test_an_export_over_an_older_file_readable_by_others_is_0600(registry, database_url,
                                                                 tmp_path):
    sign_labusel_pks(registry)
    out = tmp_path / "log.ndjson"
    out.write_text("old\n")
    out.chmod(0o644)
    assert cli(database_url, tmp_path, "export", "--out", str(out)).returncode == 0
    assert oct(mode(out)) == "0o600"


FORMULAS = ["=HYPERLINK(\"http://x\",\"klik\")", "+62-811", "-1+2", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def enroll_with_rejects(registry: Any, database_url: str, tmp_path: Path) -> Path:
    """`registry enroll` a CSV whose rows all fail, named like formulas; the report."""
    agreement = sign_labusel_pks(registry)
    source = tmp_path / "petugas.csv"
    with source.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["nik", "name", "occupation", "address", "starts_on"])
        for i, formula in enumerate(FORMULAS):
            # A NIK with serial 0000 is never valid: the row is rejected.
            writer.writerow([nik(i)[:12] + "0000", formula, formula, formula, "2022-10-01"])
    done = cli(database_url, tmp_path, "enroll", str(agreement), str(source))
    assert done.returncode == 1, done.stderr
    assert f"rejected {len(FORMULAS)} of {len(FORMULAS)} rows" in done.stdout
    return tmp_path / "petugas.rejected.csv"


def test_a_rejected_rows_report_is_0600_even_over_an_older_one(registry, database_url,
                                                               tmp_path):
    old = tmp_path / "petugas.rejected.csv"
    old.write_text("old report\n")
    old.chmod(0o644)
    report = enroll_with_rejects(registry, database_url, tmp_path)
    assert report == old
    assert oct(mode(report)) == "0o600"
    assert "old report" not in report.read_text(encoding="utf-8")


def test_cells_a_spreadsheet_would_run_as_formulas_are_escaped_in_the_report(
        registry, database_url, tmp_path):
    report = enroll_with_rejects(registry, database_url, tmp_path)
    with report.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(FORMULAS)
    for row, formula in zip(rows, FORMULAS, strict=True):
        # The CSV reader strips surrounding spaces and tabs from what it enrolls.
        sent = formula.strip()
        assert (row["name"], row["occupation"], row["address"]) == (f"'{sent}",) * 3
        assert row["code"] == "validation_failed"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in rows for cell in row.values())


def test_a_database_readable_by_others_that_cannot_be_changed_is_named_in_a_warning(
        tmp_path, caplog, monkeypatch):
    database = tmp_path / "registry.db"
    database.touch(mode=0o644)
    database.chmod(0o644)

    def refuse(path: Any, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "chmod", refuse)
    with caplog.at_level(logging.WARNING, logger="registry.store.files"):
        private_sqlite_file(str(database))
    assert oct(mode(database)) == "0o644"
    assert f"run: chmod 600 {database}" in caplog.text
