"""Files as agencies keep them, read into rows (registry/service/intake): no database."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from registry.domain.errors import ValidationFailed
from registry.service.intake import TooManyRows, UnreadableFile, cells, enrollment_rows, read_table
from tests.builders import nik
from tests.sheets import INDONESIAN, agency_rows, csv_bytes, xlsx_bytes

ENGLISH = ["nik", "name", "birth_date", "sex", "occupation", "address", "starts_on"]
EXPECTED = [{"nik": nik(0), "name": "Pekerja 0", "birth_date": "1981-02-03", "sex": "M",
             "occupation": "petani", "address": "Desa Sisumut 0", "starts_on": "2022-10-01"},
            {"nik": nik(1, "F"), "name": "Pekerja 1", "birth_date": "1981-02-03", "sex": "F",
             "occupation": "petani", "address": "Desa Sisumut 1", "starts_on": "2022-10-01"},
            {"nik": nik(2), "name": "Pekerja 2", "occupation": "petani",
             "address": "Desa Sisumut 2", "starts_on": "2022-10-01"}]


def rows_of(data: bytes, workbook: bool = False, max_rows: int = 50_000):
    return enrollment_rows(read_table(data, workbook, max_rows))


@pytest.mark.parametrize("value, expected", [
    ("2022-10-01", "2022-10-01"), ("01/10/2022", "2022-10-01"), ("1-10-2022", "2022-10-01"),
    ("44835", "2022-10-01"), (44835, "2022-10-01"), (44835.0, "2022-10-01"),
    (date(2022, 10, 1), "2022-10-01"), (datetime(2022, 10, 1), "2022-10-01"),
    (" ", None), (None, None),
])
def test_a_date_cell_in_any_form_agencies_use_reads_as_iso(value, expected):
    assert cells.day(value) == expected


@pytest.mark.parametrize("value", ["10/31/2022", "31/02/2022", "1 Oktober 2022", "44835.5",
                                   0, -3, True, "2022/10/01"])
def test_a_cell_that_is_no_date_says_the_forms_taken(value):
    with pytest.raises(cells.BadCell, match="DD/MM/YYYY"):
        cells.day(value)


@pytest.mark.parametrize("value, expected", [("L", "M"), ("p", "F"), (" M ", "M"), ("f", "F"),
                                             ("Perempuan", "F"), ("", None)])
def test_sex_is_m_f_or_l_p(value, expected):
    assert cells.sex(value) == expected


@pytest.mark.parametrize("value", ["3.67301E+15", "3,67301E+15", "3.67301e15",
                                   "1222030302810000.0", "1.222.030.302.810.000", 3.67301e15,
                                   1222030302810001.0, 122203030281000, 12220303028100011,
                                   1222030302810000])
def test_a_nik_a_spreadsheet_made_a_number_is_mangled(value):
    with pytest.raises(cells.MangledNik, match="format the NIK column as Text"):
        cells.nik(value)


def test_a_nik_as_text_an_int_of_16_digits_not_ending_in_0_or_with_an_apostrophe_is_it():
    assert cells.nik(nik(0)) == cells.nik(int(nik(0))) == cells.nik("'" + nik(0)) == nik(0)
    assert cells.nik("12345") == "12345"  # no number a spreadsheet made: the schema refuses it


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("bom", [True, False])
def test_csv_in_any_delimiter_with_or_without_bom_and_indonesian_headers(delimiter, bom):
    read = rows_of(csv_bytes(agency_rows(), delimiter=delimiter, bom=bom))
    assert read.rows == EXPECTED
    assert read.lines == [2, 3, 4]
    assert not read.bad_cells


def test_headers_in_any_case_and_spacing_english_or_indonesian():
    header = ["  nIK", "NAMA", "tanggal   lahir", "Jenis_Kelamin", "PEKERJAAN", "alamat",
              "Tanggal Mulai "]
    assert rows_of(csv_bytes(agency_rows(), header=header)).rows == EXPECTED
    assert rows_of(csv_bytes(agency_rows(), header=[h.upper() for h in ENGLISH])).rows == EXPECTED


def test_an_unknown_header_names_the_unknown_columns_and_the_accepted_ones():
    with pytest.raises(ValidationFailed) as raised:
        rows_of(csv_bytes([[nik(0), "A", "petani", "x"]],
                          header=["NIK", "Nama", "Pekerjaan", "Nama Panggilan"]))
    detail = raised.value.errors["header"]
    assert "unknown columns: Nama Panggilan" in detail
    assert "nik,name,birth_date" in detail and "Tanggal Lahir" in detail


def test_the_same_rows_as_a_workbook_read_the_same_with_real_date_and_number_cells():
    typed = [[int(r[0]), r[1], datetime(1981, 2, 3) if r[2] else "", r[3], r[4], r[5],
              44835] for r in agency_rows()]
    for rows in (agency_rows(), typed):
        read = rows_of(xlsx_bytes(rows), workbook=True)
        assert read.rows == EXPECTED
        assert read.lines == [2, 3, 4]
        assert read.notes == []


def test_a_workbook_reads_its_first_sheet_says_so_and_counts_lines_past_blank_rows():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(INDONESIAN)
    sheet.append(agency_rows(1)[0])
    sheet.cell(row=5, column=1, value=nik(3))  # lines 3 and 4 left blank
    sheet.cell(row=5, column=8, value="catatan")  # a cell past the header
    book.create_sheet("Rekap")
    out = io.BytesIO()
    book.save(out)
    read = rows_of(out.getvalue(), workbook=True)
    assert read.lines == [2, 5]
    assert read.notes == ["the workbook has 2 sheets; only the first, 'Data', was read"]
    assert read.bad_cells == {1: {"_schema": "a cell outside the header's columns"}}


def test_a_mangled_nik_is_its_rows_error_with_the_code_and_the_cell_as_sent():
    rows = agency_rows(2)
    rows[1][0] = "1.22203E+15"
    read = rows_of(csv_bytes(rows))
    assert read.mangled == {1} and read.raw_niks == {1: "1.22203E+15"}
    error = read.problem(1, {"nik": "Missing data for required field."})
    assert error is not None and error.code == "nik_mangled_by_spreadsheet"
    assert "format the NIK column as Text" in error.errors["nik"]
    assert read.problem(0, {}) is None


@pytest.mark.parametrize("data", [
    b"not a workbook", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, b"PK\x03\x04junk",
    b"",
], ids=["text", "encrypted-or-xls", "broken-zip", "empty"])
def test_a_file_that_is_no_workbook_is_unreadable(data):
    with pytest.raises(UnreadableFile):
        rows_of(data, workbook=True)


def test_a_zip_that_is_no_workbook_or_has_a_damaged_sheet_is_unreadable():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as parts:
        parts.writestr("hello.txt", "halo")
    with pytest.raises(UnreadableFile):
        rows_of(out.getvalue(), workbook=True)
    good = xlsx_bytes(agency_rows())
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(damaged, "w") as parts:
        for item in source.infolist():
            body = source.read(item)
            parts.writestr(item, body[:len(body) // 2] if "worksheets/" in item.filename else body)
    with pytest.raises(UnreadableFile):
        rows_of(damaged.getvalue(), workbook=True)


def test_one_row_past_the_limit_is_413_for_csv_and_workbooks():
    rows = agency_rows(3)
    for data, workbook in ((csv_bytes(rows), False), (xlsx_bytes(rows), True)):
        assert len(rows_of(data, workbook, max_rows=3).rows) == 3
        with pytest.raises(TooManyRows) as raised:
            rows_of(data, workbook, max_rows=2)
        assert raised.value.code == "payload_too_large"


def test_the_benchs_workbook_written_as_excel_writes_one_holds_the_csvs_rows():
    from registry.entrypoints.bench import intake_measures

    rows = intake_measures.agency_rows(2_000_000, 20)
    from_csv = rows_of(intake_measures.csv_file(rows))
    from_xlsx = rows_of(intake_measures.xlsx_file(rows), workbook=True)
    assert from_csv.rows == from_xlsx.rows and len(from_csv.rows) == 20
    assert not from_csv.bad_cells and not from_xlsx.bad_cells


def test_a_workbook_openpyxl_warns_about_is_read_without_a_warning():
    # No styles part (as some exporters write): openpyxl warns; the suite takes warnings
    # for errors, so this passes only if the reading keeps them to itself.
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(agency_rows()))) as source, \
            zipfile.ZipFile(out, "w") as parts:
        for item in source.infolist():
            body = source.read(item)
            if item.filename == "xl/_rels/workbook.xml.rels":
                body = re.sub(rb"<Relationship[^>]*styles[^>]*/>", b"", body)
            if item.filename != "xl/styles.xml":
                parts.writestr(item, body)
    assert rows_of(out.getvalue(), workbook=True).rows == EXPECTED


def test_title_lines_above_the_header_and_a_row_number_column_are_passed_over_and_said():
    header = ["No.", *INDONESIAN]
    rows = [[n + 1, *row] for n, row in enumerate(agency_rows())]
    text = (b"DAFTAR PEKERJA RENTAN\nKabupaten Labuhanbatu Selatan;;;\n\n"
            + csv_bytes(rows, header=header, bom=False))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "DAFTAR PEKERJA RENTAN"
    sheet.merge_cells("A1:H1")
    for row in (header, *rows):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    for data, workbook, titles in (
            (text, False, "lines 1-2 above the header were read as titles and passed over"),
            (out.getvalue(), True, "line 1 above the header was read as a title and passed "
                                   "over")):
        read = rows_of(data, workbook)
        assert read.rows == EXPECTED and not read.bad_cells
        assert read.lines == ([5, 6, 7] if not workbook else [3, 4, 5])
        assert read.notes == [titles]
