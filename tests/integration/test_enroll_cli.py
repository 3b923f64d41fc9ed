"""`registry enroll PKS-NUMBER FILE` on both engines: an agency's `;` CSV or workbook
enrolls, and running it again is safe (exit 0, every row already enrolled)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from registry.entrypoints.cli import main
from tests.builders import nik, sign_labusel_pks
from tests.sheets import agency_rows, csv_bytes, xlsx_bytes

NUMBER = "PKS/LBS/2022/10"


def enroll(database_url: str, *args: str) -> Any:
    return CliRunner().invoke(main, ["enroll", *args],
                              env={"REGISTRY_DATABASE_URL": database_url})


@pytest.mark.parametrize("name, make", [("pekerja.csv", csv_bytes),
                                        ("pekerja.xlsx", xlsx_bytes)])
def test_enroll_by_number_then_again_is_already_enrolled_and_exits_0(
        registry, database_url, tmp_path, name, make):
    agreement_id = sign_labusel_pks(registry, agreement_number=NUMBER)
    source = tmp_path / name
    source.write_bytes(make(agency_rows()))
    first = enroll(database_url, NUMBER, str(source))
    assert first.exit_code == 0, first.output
    assert "enrolled 3, already enrolled 0, rejected 0 of 3 rows" in first.output
    worker = registry.app.get_worker(nik(1, "F"))
    assert (worker.sex, worker.birth_date.isoformat()) == ("F", "1981-02-03")
    again = enroll(database_url, str(agreement_id), str(source))
    assert again.exit_code == 0, again.output
    assert "enrolled 0, already enrolled 3, rejected 0 of 3 rows" in again.output
    assert not (tmp_path / "pekerja.rejected.csv").exists()


# What the command does with a file is the same on either engine: these run on SQLite.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY
def test_rejected_rows_are_reported_with_their_line_and_the_nik_as_sent(
        registry, database_url, tmp_path):
    sign_labusel_pks(registry, agreement_number=NUMBER)
    rows = agency_rows(2)
    rows[1][0] = "1.22203E+15"
    source = tmp_path / "pekerja.csv"
    source.write_bytes(csv_bytes(rows))
    done = enroll(database_url, NUMBER, str(source))
    assert done.exit_code == 1, done.output
    assert "enrolled 1, already enrolled 0, rejected 1 of 2 rows" in done.output
    report = (tmp_path / "pekerja.rejected.csv").read_text(encoding="utf-8").splitlines()
    assert report[0].startswith("row,line,nik,")
    assert report[1].startswith("1,3,1.22203E+15,") and "nik_mangled_by_spreadsheet" in report[1]


@SQLITE_ONLY
def test_an_unknown_agreement_number_or_an_unreadable_file_is_said_plainly(
        registry, database_url, tmp_path):
    url = database_url
    source = tmp_path / "pekerja.xlsx"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    unreadable = enroll(url, NUMBER, str(source))
    assert unreadable.exit_code == 1 and "password-protected" in unreadable.output
    source.write_bytes(xlsx_bytes(agency_rows(1)))
    unknown = enroll(url, "PKS/SRG/2024/02", str(source))
    assert unknown.exit_code == 1
    assert "no agreement with the id or number 'PKS/SRG/2024/02'" in unknown.output
