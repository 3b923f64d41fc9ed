"""Enrollment rows from a table: headers in English or Indonesian, cells in the forms
agencies use, each bad cell its row's error (never the whole file's)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from registry.domain.errors import ValidationFailed
from registry.service.intake import cells
from registry.service.intake.tables import TITLE_ROWS, Table

COLUMNS = ("nik", "name", "birth_date", "sex", "occupation", "address", "starts_on")
REQUIRED = ("nik", "name", "occupation")
INDONESIAN = ("NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Pekerjaan", "Alamat",
              "Tanggal Mulai")
_SPACES = re.compile(r"[\s_]+")


def _key(header: str) -> str:
    return _SPACES.sub(" ", header.strip().lower())


HEADERS = {**{_key(c): c for c in COLUMNS}, **{_key(i): c for i, c in zip(INDONESIAN, COLUMNS,
                                                                        strict=True)}}
# A column agencies number their rows in ("No."): it says nothing of a worker, and is read
# past. Any other column the header does not know refuses the file, so nothing is lost.
ROW_NUMBER = "row_number"
HEADERS.update({"no": ROW_NUMBER, "no.": ROW_NUMBER})
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
    # The rows whose NIK a spreadsheet turned into a number: the cell as it was.
    raw_niks: dict[int, str] = field(default_factory=dict)

    @property
    def mangled(self) -> set[int]:
        return set(self.raw_niks)

    def problem(self, index: int, schema_errors: dict[str, str]) -> ValidationFailed | None:
        """Row `index`'s error, the schema's messages for the cells read merged in."""
        errors = {**schema_errors, **self.bad_cells.get(index, {})}
        if not errors:
            return None
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        kind = NikMangled if index in self.raw_niks else ValidationFailed
        return kind(detail, errors)


def columns(header: list[str]) -> list[str | None]:
    """Each header cell's field (None: an empty header cell); refuses unknown or
    missing columns, naming them and the accepted ones."""
    found = [HEADERS.get(_key(h)) if h.strip() else None for h in header]
    unknown = [h for h, f in zip(header, found, strict=True) if h.strip() and f is None]
    named = [f for f in found if f not in (None, ROW_NUMBER)]
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


def _below_titles(table: Table) -> tuple[list[Any], list[list[Any]], list[int], list[str]]:
    """The header, data rows and lines, past any title lines above the header: the
    header is the first of the first lines to name a NIK column."""
    firsts = [table.header, *table.rows[:TITLE_ROWS]]
    # None found: the first line is refused as the header, naming its columns.
    at = next((n for n, row in enumerate(firsts)
               if any(HEADERS.get(_key(cells.text(c) or "")) == "nik" for c in row)), 0)
    if at == 0:
        return table.header, table.rows, table.lines, []
    note = (f"line {table.header_line} above the header was read as a title and passed over"
            if at == 1 else f"lines {table.header_line}-{table.lines[at - 2]} above the header "
            "were read as titles and passed over")
    return ([cells.text(c) or "" for c in table.rows[at - 1]], table.rows[at:],
            table.lines[at:], [note])


def enrollment_rows(table: Table) -> Rows:
    header, body, lines, titles = _below_titles(table)
    fields = columns(header)
    out = Rows([], lines, [*titles, *table.notes])
    for index, row in enumerate(body):
        data: dict[str, str] = {}
        bad: dict[str, str] = {}
        for position, value in enumerate(row):
            name = fields[position] if position < len(fields) else None
            if name == ROW_NUMBER:
                continue
            if name is None:
                if cells.text(value) is not None:
                    bad["_schema"] = "a cell outside the header's columns"
                continue
            try:
                found = READERS.get(name, cells.text)(value)
            except cells.MangledNik as e:
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
