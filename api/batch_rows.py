"""Batch input: JSON rows, or a CSV's or workbook's, into enrollment requests, with
per-row errors.

Shared by the batch endpoint and `registry enroll`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError

from api.errors import flatten
from api.schemas.common import _CONTROL, EARLIEST, LATEST
from api.schemas.workers import WorkerIn
from registry.domain.enrollment import Details
from registry.domain.errors import ValidationFailed
from registry.domain.programs import PROGRAMS
from registry.service.enrollments import MAX_BATCH_ROWS, EnrollmentRequest, RowResult
from registry.service.intake import Rows, enrollment_rows, read_table
from registry.service.intake.workers import COLUMNS as CSV_HEADER

__all__ = ["CSV_HEADER", "BadBatch", "file_rows", "row_json", "to_request", "validated"]
_worker_in = WorkerIn()

# The fields `plain_row` reads, and each text field's longest length: WorkerIn's own.
_FIELDS = frozenset(_worker_in.fields)
_TEXTS = {name: _worker_in.fields[name].max_length  # type: ignore[attr-defined]
          for name in ("name", "occupation", "address")}
_SEXES = frozenset(("M", "F"))
_PROGRAMS = frozenset(PROGRAMS)


class BadBatch(ValueError):
    """The batch as a whole cannot be read; `errors` says where."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def file_rows(data: bytes, workbook: bool) -> Rows:
    """A CSV's or a workbook's data rows (registry/service/intake); a file that cannot be
    read at all raises the RegistryError saying why (422, or 413 past the row limit)."""
    return enrollment_rows(read_table(data, workbook, MAX_BATCH_ROWS))


def to_request(row: int, data: dict[str, Any]) -> EnrollmentRequest:
    details = Details(name=data["name"], occupation=data["occupation"],
                      birth_date=data["birth_date"], sex=data["sex"], address=data["address"])
    return EnrollmentRequest(nik=data["nik"], details=details, programs=data["programs"],
                             starts_on=data["starts_on"], row=row)


def _text(value: Any, name: str) -> str | None:
    # Text: trimmed, of 1 to max_length characters, without control characters.
    if type(value) is not str:
        return None
    text = value.strip()
    if not 0 < len(text) <= _TEXTS[name] or _CONTROL.search(text):
        return None
    return text


def _day(value: Any) -> date | None:
    # Day: what marshmallow's Date parses (date.fromisoformat), between 1900 and 2199.
    if type(value) is not str:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def plain_row(data: Any) -> dict[str, Any] | None:
    """What `WorkerIn().load(data)` gives for a row of the usual shape, in a tenth of its
    time; None for any other row, which WorkerIn then loads or rejects with its own
    messages. A row accepted here is one WorkerIn accepts, loaded to the same values
    (tests/api/test_batch_row_shapes.py compares the two)."""
    if type(data) is not dict or not _FIELDS.issuperset(data):
        return None
    get = data.get
    nik = get("nik")
    if type(nik) is not str or not (len(nik) == 16 and nik.isascii() and nik.isdigit()):
        return None
    name, occupation = _text(get("name"), "name"), _text(get("occupation"), "occupation")
    if name is None or occupation is None:
        return None
    address = get("address")
    if address is not None and (address := _text(address, "address")) is None:
        return None
    sex = get("sex")
    if sex is not None and (type(sex) is not str or sex not in _SEXES):
        return None
    birth_date, starts_on = get("birth_date"), get("starts_on")
    if birth_date is not None and (birth_date := _day(birth_date)) is None:
        return None
    if starts_on is not None and (starts_on := _day(starts_on)) is None:
        return None
    programs = get("programs")
    if programs is not None:
        if type(programs) is not list or not 1 <= len(programs) <= 3 or not all(
                type(p) is str and p in _PROGRAMS for p in programs):
            return None
        programs = list(programs)
    return {"nik": nik, "name": name, "birth_date": birth_date, "sex": sex,
            "occupation": occupation, "address": address, "programs": programs,
            "starts_on": starts_on}


def validated(rows: list[Any], first_row: int = 0, sheet: Rows | None = None
              ) -> tuple[list[EnrollmentRequest], list[RowResult]]:
    """Rows of the right shape become requests; the others are rejected with why.

    `sheet`: the file the rows were read from, whose unreadable cells are errors too.
    """
    valid, rejected = [], []
    for index, data in enumerate(rows, start=first_row):
        loaded, messages = plain_row(data), {}
        if loaded is None:
            try:
                loaded = _worker_in.load(data)
            except ValidationError as e:
                messages = flatten(e.messages)
        if sheet is not None:
            error = sheet.problem(index, messages)
        elif messages:
            error = ValidationFailed("; ".join(f"{k}: {v}" for k, v in messages.items()),
                                     messages)
        else:
            error = None
        if error is None and loaded is not None:  # (no error: loaded)
            valid.append(to_request(index, loaded))
            continue
        nik = data.get("nik") if isinstance(data, dict) else None
        if nik is None and sheet is not None:
            nik = sheet.raw_niks.get(index)
        rejected.append(RowResult(index, nik if isinstance(nik, str) else None,
                                  "rejected", error))
    return valid, rejected


def row_json(result: RowResult, lines: list[int] | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {"row": result.row}
    if lines is not None:
        row["line"] = lines[result.row]
    row.update(nik=result.nik, status=result.status)
    if result.error is not None:
        row["code"] = result.error.code
        row["error"] = result.error.detail
    return row
