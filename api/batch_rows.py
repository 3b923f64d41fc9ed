"""Batch input: JSON rows, or a CSV's or workbook's, into enrollment requests, with
per-row errors.

Shared by the batch endpoint and `registry enroll`.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from api.errors import flatten
from api.schemas.workers import WorkerIn
from registry.domain.enrollment import Details
from registry.domain.errors import ValidationFailed
from registry.service.enrollments import MAX_BATCH_ROWS, EnrollmentRequest, RowResult
from registry.service.intake import Rows, enrollment_rows, read_table
from registry.service.intake.workers import COLUMNS as CSV_HEADER

__all__ = ["CSV_HEADER", "BadBatch", "file_rows", "row_json", "to_request", "validated"]
_worker_in = WorkerIn()


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


def validated(rows: list[Any], first_row: int = 0, sheet: Rows | None = None
              ) -> tuple[list[EnrollmentRequest], list[RowResult]]:
    """Rows of the right shape become requests; the others are rejected with why.

    `sheet`: the file the rows were read from, whose unreadable cells are errors too.
    """
    valid, rejected = [], []
    for index, data in enumerate(rows, start=first_row):
        try:
            loaded, messages = _worker_in.load(data), {}
        except ValidationError as e:
            messages = flatten(e.messages)
        if sheet is not None:
            error = sheet.problem(index, messages)
        elif messages:
            error = ValidationFailed("; ".join(f"{k}: {v}" for k, v in messages.items()),
                                     messages)
        else:
            error = None
        if error is None:
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
