"""Cells of a CSV the registry writes, made safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return
before one) is read by Excel, LibreOffice and Google Sheets as a formula: a
worker named `=HYPERLINK(...)` or `@SUM(...)` in an uploaded file would run
in the spreadsheet of whoever opens the rejected-rows report. OWASP's rule
(CSV Injection) is to prefix such a cell with a single quote, which every one
of them shows as text. Every CSV the registry writes goes through `escaped`.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> str:
    """The cell as text, with a leading `'` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def escaped(cells: Iterable[object]) -> list[str]:
    """A row of cells, each through `escape_cell`."""
    return [escape_cell(cell) for cell in cells]
