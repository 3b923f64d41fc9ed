"""A CSV or a workbook's first sheet as a table: its header and its data rows, by line.

CSV as spreadsheets save it: `,` `;` or tab separated (whichever the header
line uses most), UTF-8 with or without a BOM. A workbook (.xlsx) is read
with openpyxl in read-only mode, one row at a time, so that a file over the
row limit is refused as soon as the row past it is read. Blank rows are no
data rows, but they have lines: `lines[i]` is data row i's line as a
spreadsheet numbers it (the header's is 1 unless blank lines come before it).
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from typing import Any

from registry.domain.errors import RegistryError, ValidationFailed
from registry.service.intake import cells

WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_COLUMNS = 64  # of a header; anything wider is no registry's file
TITLE_ROWS = 5  # lines above the header a file may give to titles
# What the parts of a workbook may unpack to: a 50,000-row sheet of seven columns
# is some 30 MB of XML. More is a file made to exhaust memory.
MAX_UNPACKED = 256 * 1024 * 1024
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and every password-protected workbook


class UnreadableFile(RegistryError):
    code = "unreadable_file"


class TooManyRows(RegistryError):
    code = "payload_too_large"


@dataclass
class Table:
    header: list[str]
    header_line: int = 1
    rows: list[list[Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _no_table(detail: str, where: str = "body") -> ValidationFailed:
    return ValidationFailed(detail, {where: detail})


def _too_many(max_rows: int) -> TooManyRows:
    return TooManyRows(f"at most {max_rows:,} rows in one file; this one has more",
                       {"body": f"more than {max_rows:,} rows"})


def _blank(row: list[Any] | tuple[Any, ...]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def read_csv(data: bytes, max_rows: int) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _no_table("the CSV must be UTF-8") from None
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    table: Table | None = None
    line = 0
    try:
        for row in reader:
            line += 1
            if _blank(row):
                continue
            if table is None:
                table = Table([h.strip() for h in row], line)
                continue
            if len(table.rows) == max_rows:
                raise _too_many(max_rows)
            table.rows.append(row)
            table.lines.append(line)
    except csv.Error as e:
        raise _no_table(f"not valid CSV near line {line + 1}: {e}") from None
    return _with_rows(table, "CSV")


def _delimiter(text: str) -> str:
    """The one the header line uses most: the first of the first lines (a title above
    the header may have none) to use any."""
    for line in text[:65536].splitlines()[:TITLE_ROWS + 2]:
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        if any(counts.values()):
            return max(counts, key=lambda d: counts[d])
    return ","


def read_workbook(data: bytes, max_rows: int) -> Table:
    import openpyxl  # here: 0.1 s to import, for the uploads that need it

    _check_parts(data)
    # openpyxl warns of what it passes over (data validation, conditional formatting
    # extensions, a missing default style): nothing a row needs, and not the log's business.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True,
                                          keep_links=False)
        except Exception:  # noqa: BLE001 - whatever openpyxl makes of a bad file, it is one
            raise UnreadableFile("the file is not a workbook openpyxl can read (.xlsx): "
                                 "save it again as an Excel workbook") from None
        try:
            return _first_sheet(book, max_rows)
        except RegistryError:
            raise
        except Exception:  # noqa: BLE001 - a part damaged past the workbook's index
            raise UnreadableFile("the workbook's first sheet is damaged and cannot be read: "
                                 "save it again as an Excel workbook") from None
        finally:
            book.close()


def _check_parts(data: bytes) -> None:
    if data.startswith(_OLE):
        raise UnreadableFile("the file is password-protected (encrypted) or an old .xls "
                             "workbook: save it as an .xlsx without a password")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as parts:
            unpacked = sum(part.file_size for part in parts.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise UnreadableFile("the file is not an .xlsx workbook (not a ZIP package): "
                             "send a CSV as text/csv, or save the workbook as .xlsx") from None
    if unpacked > MAX_UNPACKED:
        raise TooManyRows(f"the workbook unpacks to {unpacked:,} bytes, over the "
                          f"{MAX_UNPACKED:,} a registry file may hold")


def _first_sheet(book: Any, max_rows: int) -> Table:
    if not book.worksheets:
        raise UnreadableFile("the workbook has no worksheet")
    sheet = book.worksheets[0]
    # A sheet's stated size is often wrong (some tools never update it): read what is there.
    sheet.reset_dimensions()
    # The first rows, to know how wide the table is: a title above the header (as
    # agencies put one) is often one cell wide.
    head = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    first: list[tuple[int, list[str]]] = []
    for n, row in enumerate(head, 1):
        if not _blank(row):
            first.append((n, _trimmed(row)))
            if len(first) > TITLE_ROWS:
                break
    head.close()
    if not first:
        return _with_rows(None, "workbook's first sheet")
    header_line, header = first[0]
    table = Table(header, header_line)
    width = max(len(r) for _, r in first) + 1  # one column more: a cell past it is an error
    data = sheet.iter_rows(min_row=header_line + 1, max_col=width, values_only=True)
    for line, row in enumerate(data, header_line + 1):
        if _blank(row):
            continue
        if len(table.rows) == max_rows:
            raise _too_many(max_rows)
        table.rows.append(list(row))
        table.lines.append(line)
    if len(book.sheetnames) > 1:
        table.notes.append(f"the workbook has {len(book.sheetnames)} sheets; only the first, "
                           f"{sheet.title!r}, was read")
    return _with_rows(table, "workbook's first sheet")


def _trimmed(row: tuple[Any, ...]) -> list[str]:
    found = [cells.text(c) or "" for c in row]
    while found and not found[-1]:
        found.pop()
    return found


def _with_rows(table: Table | None, what: str) -> Table:
    if table is None:
        raise _no_table(f"the {what} is empty: it needs a header line", "header")
    if not table.rows:
        raise _no_table(f"the {what} has no data rows")
    return table
