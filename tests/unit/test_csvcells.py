"""CSV cells a spreadsheet would take for a formula are escaped (OWASP's rule)."""

from __future__ import annotations

import csv
import io

import pytest

from registry.csvcells import escape_cell, escaped


@pytest.mark.parametrize("cell", ["=1+1", "+62811", "-2", "@SUM(A1)", "\t=1", "\r=1", "=",
                                  "=HYPERLINK(\"http://x\";\"klik\")", "-"])
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(cell):
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Sri Wahyuni", "1222030302810001", "2022-10-01", "a=b",
                                  " =1", "'=1", "", "validation_failed: nik: -"])
def test_any_other_cell_is_left_as_it_is(cell):
    assert escape_cell(cell) == cell


def test_a_row_is_escaped_cell_by_cell_and_numbers_and_none_become_text():
    assert escaped([3, None, "=x", -1, "ok"]) == ["3", "", "'=x", "'-1", "ok"]


def test_an_escaped_row_reads_back_as_one_cell_per_value():
    out = io.StringIO()
    csv.writer(out).writerow(escaped(['=cmd|" /C calc"!A0', "a,=b", 'x"\n=y']))
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=cmd|\" /C calc\"!A0", "a,=b", 'x"\n=y']
