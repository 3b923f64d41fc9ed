"""Spreadsheets as agencies send them, made in the tests (no binary fixtures)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import openpyxl

from tests.builders import nik

INDONESIAN = ["NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Pekerjaan", "Alamat",
              "Tanggal Mulai"]


def agency_rows(count: int = 3) -> list[list[str]]:
    """Workers 0.. of Labuhanbatu Selatan as an agency types them: L/P, day-first dates;
    worker 1 a woman, worker 2 with neither birth date nor sex (the NIK says them)."""
    rows = []
    for i in range(count):
        sex = "F" if i == 1 else "M"
        rows.append([nik(i, sex), f"Pekerja {i}", "" if i == 2 else "03/02/1981",
                     "" if i == 2 else "LP"[sex == "F"], "petani", f"Desa Sisumut {i}",
                     "01/10/2022"])
    return rows


def csv_bytes(rows: Iterable[Sequence[Any]], header: Sequence[str] = INDONESIAN,
              delimiter: str = ";", bom: bool = True) -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(str(c) for c in r) for r in rows)]
    return (("\ufeff" if bom else "") + "\r\n".join(lines) + "\r\n").encode()


def xlsx_bytes(rows: Iterable[Sequence[Any]], header: Sequence[str] = INDONESIAN,
               more_sheets: Sequence[str] = ()) -> bytes:
    """A workbook whose first sheet holds the rows (cells as given: text, numbers, dates)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Pekerja")
    sheet.append(list(header))
    for row in rows:
        sheet.append([None if c == "" else c for c in row])
    for name in more_sheets:
        book.create_sheet(name).append(["catatan"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
