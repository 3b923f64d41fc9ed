"""Batch input: CSV or JSON rows into enrollment requests, with per-row errors.

Shared by the batch endpoint and `registry enroll`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from marshmallow import ValidationError

from api.errors import flatten
from api.schemas.workers import WorkerIn
from registry.domain.enrollment import Details
from registry.domain.errors import ValidationFailed
from registry.service.enrollments import MAX_BATCH_ROWS, EnrollmentRequest, RowResult

CSV_HEADER = ("nik", "name", "birth_date", "sex", "occupation", "address", "starts_on")
REQUIRED_COLUMNS = ("nik", "name", "occupation")
_worker_in = WorkerIn()


class BadBatch(ValueError):
    """The batch as a whole cannot be read; `errors` says where."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def csv_rows(data: bytes) -> list[dict[str, str]]:
    """Data rows as dicts; an empty cell is an absent field."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadBatch({"body": "the CSV must be UTF-8"}) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = tuple(reader.fieldnames or ())
        unknown = [h for h in header if h not in CSV_HEADER]
        missing = [h for h in REQUIRED_COLUMNS if h not in header]
        if unknown or missing:
            raise BadBatch({"header": f"expected {','.join(CSV_HEADER)}; unknown columns: "
                                      f"{', '.join(unknown) or 'none'}; missing: "
                                      f"{', '.join(missing) or 'none'}"})
        rows: list[dict[str, str]] = []
        for record in reader:
            if None in record:
                raise BadBatch({f"rows.{len(rows)}": "more cells than the header has columns"})
            rows.append({k: v.strip() for k, v in record.items() if v and v.strip()})
            if len(rows) > MAX_BATCH_ROWS:
                raise BadBatch({"body": f"at most {MAX_BATCH_ROWS} rows in one batch"})
    except csv.Error as e:
        raise BadBatch({"body": f"not valid CSV: {e}"}) from None
    if not rows:
        raise BadBatch({"body": "the CSV has no data rows"})
    return rows


def to_request(row: int, data: dict[str, Any]) -> EnrollmentRequest:
    details = Details(name=data["name"], occupation=data["occupation"],
                      birth_date=data["birth_date"], sex=data["sex"], address=data["address"])
    return EnrollmentRequest(nik=data["nik"], details=details, programs=data["programs"],
                             starts_on=data["starts_on"], row=row)


def validated(rows: list[Any], first_row: int = 0
              ) -> tuple[list[EnrollmentRequest], list[RowResult]]:
    """Rows of the right shape become requests; the others are rejected with why."""
    valid, rejected = [], []
    for index, data in enumerate(rows, start=first_row):
        try:
            valid.append(to_request(index, _worker_in.load(data)))
        except ValidationError as e:
            nik = data.get("nik") if isinstance(data, dict) else None
            messages = flatten(e.messages)
            error = ValidationFailed("; ".join(f"{k}: {v}" for k, v in messages.items()),
                                     messages)
            rejected.append(RowResult(index, nik if isinstance(nik, str) else None,
                                      "rejected", error))
    return valid, rejected


def row_json(result: RowResult) -> dict[str, Any]:
    row: dict[str, Any] = {"row": result.row, "nik": result.nik, "status": result.status}
    if result.error is not None:
        row["code"] = result.error.code
        row["error"] = result.error.detail
    return row
