"""Corrections files, JSON or CSV, into corrections with per-row errors.

Shared by `POST /corrections/preview` and `registry corrections`. A row of the
wrong shape (or an unknown action) is rejected with why; the rest are checked
against the registry by the preview itself (registry/service/corrections.py).
CSV as spreadsheets save it (`,` `;` or tab separated, UTF-8 with or without
BOM), or an Excel workbook's first sheet, read as the batch endpoint reads them
(registry/service/intake); headers in any case; an empty cell is an absent field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from marshmallow import ValidationError, fields

from api.blueprint import parse_json_body
from api.errors import flatten
from api.schemas.common import Strict, Text
from api.schemas.corrections import CSV_COLUMNS, NEEDS, CorrectionRowIn
from registry.domain.errors import RegistryError, ValidationFailed
from registry.service.corrections_file import (
    MAX_ROWS,
    Correction,
    CorrectionsFileIn,
    RowOutcome,
    UnknownAction,
)
from registry.service.intake import NikMangled, cells, read_table

_row_schema = CorrectionRowIn()
_COLUMN_SPACES = re.compile(r"[\s_]+")
_CELLS = {"nik": cells.nik, "ends_on": cells.day, "birth_date": cells.day,
          "starts_on": cells.day, "sex": cells.sex}


class BadFile(ValueError):
    """The file as a whole cannot be read: `code` says how (`validation_failed`,
    `malformed_request`, or `payload_too_large` past the row limit)."""

    def __init__(self, code: str, detail: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors


class _Body(Strict):
    # The rows are read one by one below, so that one bad row is that row's error.
    reason = Text(load_default=None, allow_none=True, max_length=2000)
    corrections = fields.List(fields.Raw(), required=True)


@dataclass
class ReadFile:
    file: CorrectionsFileIn
    lines: dict[int, int] = field(default_factory=dict)  # CSV: row -> line


def too_many(count: int | str) -> BadFile:
    return BadFile("payload_too_large",
                   f"a corrections file holds at most {MAX_ROWS:,} rows; this one has {count}")


def read(data: bytes, csv_body: bool, reason: str | None = None,
         workbook: bool = False) -> ReadFile:
    """The file's corrections; `reason` is the file's (a JSON file's own comes first)."""
    if csv_body or workbook:
        rows, lines, unreadable = file_rows(data, workbook)
        return ReadFile(checked(rows, reason, unreadable), lines)
    try:
        body = _Body().load(parse_json_body(data))
    except json.JSONDecodeError:
        raise BadFile("malformed_request", "the body is not valid JSON") from None
    except ValidationError as e:
        errors = flatten(e.messages)
        raise BadFile("validation_failed", "; ".join(f"{k}: {v}" for k, v in errors.items()),
                      errors) from None
    if not body["corrections"]:
        raise BadFile("validation_failed", "corrections: the file has no rows",
                      {"corrections": "must hold at least one row"})
    if len(body["corrections"]) > MAX_ROWS:
        raise too_many(f"{len(body['corrections']):,}")
    return ReadFile(checked(body["corrections"], body["reason"] or reason))


def file_rows(data: bytes, workbook: bool
              ) -> tuple[list[dict[str, str]], dict[int, int], dict[int, RegistryError]]:
    """A CSV's or workbook's rows as dicts (an empty cell is an absent field), each row's
    line, and the rows whose NIK a spreadsheet mangled. Read as the batch endpoint reads
    files (registry/service/intake): dates may also be DD/MM/YYYY or Excel dates."""
    try:
        table = read_table(data, workbook, MAX_ROWS)
    except RegistryError as e:
        raise BadFile(e.code, e.detail, e.errors) from None
    header = [_COLUMN_SPACES.sub("_", h.strip().lower()) for h in table.header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown or not {"action", "nik"} <= set(header):
        raise BadFile("validation_failed", f"the header must name columns of "
                      f"{','.join(CSV_COLUMNS)} (action and nik at least); unknown: "
                      f"{', '.join(unknown) or 'none'}",
                      {"header": "unknown or missing columns"})
    rows: list[dict[str, str]] = []
    lines: dict[int, int] = {}
    unreadable: dict[int, RegistryError] = {}
    for index, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        if any(cells.text(c) is not None for c in row[len(header):]):
            raise BadFile("validation_failed", f"line {line}: more cells than the header "
                          "has columns", {f"rows.{index}": "too many cells"})
        found: dict[str, str] = {}
        for name, value in zip(header, row, strict=False):
            try:
                cell = _CELLS.get(name, cells.text)(value)
            except cells.MangledNik as e:
                unreadable[index] = NikMangled(f"nik: {e}", {"nik": str(e)})
                cell = cells.text(value)
            except cells.BadCell:
                cell = cells.text(value)  # the row's schema says why, as for JSON
            if cell is not None:
                found[name] = cell
        lines[index] = line
        rows.append(found)
    return rows, lines, unreadable


def checked(rows: list[Any], file_reason: str | None,
            unreadable: dict[int, RegistryError] | None = None) -> CorrectionsFileIn:
    """Rows of the right shape become corrections; the others are rejected with why."""
    corrections, rejected = [], []
    for index, data in enumerate(rows):
        if unreadable and index in unreadable:
            rejected.append(RowOutcome(index, data.get("action"), data.get("nik"),
                                       unreadable[index]))
            continue
        if not isinstance(data, dict):
            rejected.append(RowOutcome(index, None, None, ValidationFailed(
                "a correction is an object", {"_schema": "must be an object"})))
            continue
        action, nik = data.get("action"), data.get("nik")
        shown = (action if isinstance(action, str) else None, nik if isinstance(nik, str) else None)
        if not isinstance(action, str) or action not in NEEDS:
            rejected.append(RowOutcome(index, *shown, UnknownAction(
                f"unknown action {action!r}: use one of {', '.join(NEEDS)}")))
            continue
        if file_reason and not data.get("reason"):
            data = {**data, "reason": file_reason}
        try:
            loaded = _row_schema.load(data)
        except ValidationError as e:
            messages = flatten(e.messages)
            rejected.append(RowOutcome(index, *shown, ValidationFailed(
                "; ".join(f"{k}: {v}" for k, v in messages.items()), messages)))
            continue
        corrections.append(Correction(row=index, **{k: v for k, v in loaded.items()
                                                   if v is not None}))
    return CorrectionsFileIn(file_reason, corrections, rejected)


def row_json(outcome: RowOutcome, lines: dict[int, int]) -> dict[str, Any]:
    row: dict[str, Any] = {"row": outcome.row, "action": outcome.action, "nik": outcome.nik,
                           "status": outcome.status}
    if outcome.row in lines:
        row["line"] = lines[outcome.row]
    if outcome.error is not None:
        row["code"] = outcome.error.code
        row["error"] = outcome.error.detail
    return row


def preview_json(answer: dict[str, Any], lines: dict[int, int]) -> dict[str, Any]:
    rows = [row_json(o, lines) for o in answer["rows"]]
    rejected = sum(1 for r in rows if r["status"] == "rejected")
    return {**answer, "ok": len(rows) - rejected, "rejected": rejected, "rows": rows}
