"""Files as regional agencies keep them, read into rows: CSV and Excel workbooks.

No web here: the batch endpoint, `registry enroll` and the corrections file
call it with the bytes they received. See docs/intake.md for the forms taken.
"""

from __future__ import annotations

from registry.service.intake.tables import (
    WORKBOOK,
    Table,
    TooManyRows,
    UnreadableFile,
    read_csv,
    read_workbook,
)
from registry.service.intake.workers import NikMangled, Rows, enrollment_rows

__all__ = ["WORKBOOK", "NikMangled", "Rows", "Table", "TooManyRows", "UnreadableFile",
           "enrollment_rows", "looks_like_workbook", "read_table"]


def looks_like_workbook(data: bytes, name: str = "") -> bool:
    """A file named .xlsx or .xlsm, or whose bytes are a ZIP package (.xlsx) or an OLE
    file (.xls, an encrypted .xlsx): not CSV."""
    return (name.lower().endswith((".xlsx", ".xlsm"))
            or data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")))


def read_table(data: bytes, workbook: bool, max_rows: int) -> Table:
    return read_workbook(data, max_rows) if workbook else read_csv(data, max_rows)
