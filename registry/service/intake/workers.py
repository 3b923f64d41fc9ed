"""Enrollment rows from a table: headers in English or Indonesian, cells in the forms
agencies use, each bad cell its row's error (never the whole file's)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.domain.errors import ValidationFailed
from registry.service.intake import cells
from registry.service.intake.tables import Table

COLUMNS = ("nik", "name", "birth_date", "sex", "occupation", "address", "starts_on")
REQUIRED = ("nik", "name", "occupation")
INDONESIAN = ("NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Pekerjaan", "Alamat",
              "Tanggal Mulai")
_SPACES = re.compile(r"[\s_]+")


def _key(header: str) -> str:
    return _SPACES.sub(" ", header.strip().lower())


HEADERS = {**{_key(c): c for c in COLUMNS}, **{_key(i): c for i, c in zip(INDONESIAN, COLUMNS,
                                                                        strict=True)}}
READERS: dict[str, Callable[[Any], str | None]] = {
    "nik": cells.nik, "sex": cells.sex, "birth_date": cells.day, "starts_on": cells.day}


class NikMangled(ValidationFailed):
    code = "nik_mangled_by_spreadsheet"


@dataclass
class Rows:
    """Data rows as the batch schema takes them (text; an empty cell is absent), with
    the cells that could not be read, by row."""

    rows: list[dict[str, str]]
    lines: list[int]
    notes: list[str] = field(default_factory=list)
    bad_cells: dict[int, dict[str, str]] = field(default_factory=dict)
    mangled: set[int] = field(default_factory=set)
    raw_niks: dict[int, str] = field(default_factory=dict)

    def problem(self, index: int, schema_errors: dict[str, str]) -> ValidationFailed | None:
        """Row `index`'s error, the schema's messages for the cells read merged in."""
        errors = {**schema_errors, **self.bad_cells.get(index, {})}
        if not errors:
            return None
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        kind = NikMangled if index in self.mangled else ValidationFailed
        return kind(detail, errors)


def columns(header: list[str]) -> list[str | None]:
    """Each header cell's field (None: an empty header cell); refuses unknown or
    missing columns, naming them and the accepted ones."""
    found = [HEADERS.get(_key(h)) if h.strip() else None for h in header]
    unknown = [h for h, f in zip(header, found, strict=True) if h.strip() and f is None]
    named = [f for f in found if f is not None]
    missing = [c for c in REQUIRED if c not in named]
    twice = sorted({f for f in named if named.count(f) > 1})
    if unknown or missing or twice:
        problems = [f"unknown columns: {', '.join(unknown)}" if unknown else "",
                    f"missing: {', '.join(missing)}" if missing else "",
                    f"named twice: {', '.join(twice)}" if twice else ""]
        detail = (f"{'; '.join(p for p in problems if p)}. The header takes "
                  f"{','.join(COLUMNS)} or {', '.join(INDONESIAN)} (any case; "
                  f"{', '.join(REQUIRED)} required)")
        raise ValidationFailed(detail, {"header": detail})
    return found


def enrollment_rows(table: Table) -> Rows:
    fields = columns(table.header)
    out = Rows([], table.lines, list(table.notes))
    for index, row in enumerate(table.rows):
        data: dict[str, str] = {}
        bad: dict[str, str] = {}
        for position, value in enumerate(row):
            name = fields[position] if position < len(fields) else None
            if name is None:
                if cells.text(value) is not None:
                    bad["_schema"] = "a cell outside the header's columns"
                continue
            try:
                found = READERS.get(name, cells.text)(value)
            except cells.MangledNik as e:
                out.mangled.add(index)
                out.raw_niks[index] = cells.text(value) or ""
                bad[name] = str(e)
                continue
            except cells.BadCell as e:
                bad[name] = str(e)
                continue
            if found is not None:
                data[name] = found
        out.rows.append(data)
        if bad:
            out.bad_cells[index] = bad
    return out
