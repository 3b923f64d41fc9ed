"""Cells as regional agencies' spreadsheets hold them, read into the registry's forms.

A CSV cell is text; a workbook cell may also be a number, a date or a
boolean. Each reader answers the canonical text (`YYYY-MM-DD`, `M`/`F`, a
NIK's digits) or raises `BadCell` saying what it expected; the row's schema
then checks the rest as it checks JSON.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

DATE_FORMS = "YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or an Excel date"
SEX_CELLS = {"M": "M", "F": "F", "L": "M", "P": "F", "LAKI-LAKI": "M", "PEREMPUAN": "F"}
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_FIRST = re.compile(r"([0-9]{1,2})([/-])([0-9]{1,2})\2([0-9]{4})")
_SERIAL = re.compile(r"[0-9]{1,7}(\.0+)?")
# Excel's day 0: serial 60 is its 29 February 1900, a day that never was (Lotus's error,
# kept for compatibility), so serials from 61 on count from a day earlier.
_EXCEL_EPOCH = date(1899, 12, 30)
_LAST_SERIAL = 2_958_465  # 9999-12-31
# What a spreadsheet makes of a 16-digit number it took for a quantity: 3.67301E+15,
# 3,67301E+15 (Indonesian decimal comma), 3673010101900000.0, 3.673.010.101.900.000.
_MANGLED = re.compile(r"[0-9]+([.,][0-9]*)?[eE][+]?[0-9]+|[0-9]+[.,]0*"
                      r"|[0-9]{1,3}([.,][0-9]{3}){3,}")
MANGLED_HINT = ("a spreadsheet turned the NIK into a number and lost digits: format the NIK "
                "column as Text (in Excel: select the column, Format Cells, Text; or start "
                "each NIK with an apostrophe) and enter the NIKs again")


class BadCell(ValueError):
    """A cell that is not any form of what its column holds."""


class MangledNik(BadCell):
    """A NIK that a spreadsheet turned into a number: its last digits are gone."""


def text(value: Any) -> str | None:
    """Any cell as text, stripped; None when empty. A whole number has no `.0`."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    found = str(value).strip()
    return found or None


def nik(value: Any) -> str | None:
    """A NIK cell as its digits; a number that lost digits is a `MangledNik`."""
    if isinstance(value, bool):
        raise BadCell("must be exactly 16 digits")
    if isinstance(value, int):
        # Excel keeps 15 significant digits: a NIK it took for a number ends in 0, the
        # digit it lost. Sixteen digits ending otherwise were written by a program.
        digits = str(value)
        if len(digits) == 16 and not digits.endswith("0"):
            return digits
        raise MangledNik(MANGLED_HINT)
    if isinstance(value, float):
        raise MangledNik(MANGLED_HINT)
    found = text(value)
    if found is None:
        return None
    if _MANGLED.fullmatch(found):
        raise MangledNik(MANGLED_HINT)
    # A leading apostrophe is how a NIK is typed as text into a spreadsheet.
    return found[1:] if found.startswith("'") else found


def sex(value: Any) -> str | None:
    found = text(value)
    if found is None:
        return None
    canonical = SEX_CELLS.get(found.upper())
    if canonical is None:
        raise BadCell("must be M or F (L or P)")
    return canonical


def day(value: Any) -> str | None:
    """A date cell as `YYYY-MM-DD`; the schema checks an ISO one as it checks JSON."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value)
    found = text(value)
    if found is None:
        return None
    if _ISO.fullmatch(found):
        return found
    match = _DAY_FIRST.fullmatch(found)
    if match:
        try:
            return date(int(match.group(4)), int(match.group(3)),
                        int(match.group(1))).isoformat()
        except ValueError:
            raise BadCell(f"{found} is not a date in the calendar (DD/MM/YYYY)") from None
    if _SERIAL.fullmatch(found):
        return _serial(float(found))
    raise BadCell(f"must be a date: {DATE_FORMS}")


def _serial(number: float) -> str:
    if not float(number).is_integer() or not 1 <= number <= _LAST_SERIAL:
        raise BadCell(f"must be a date: {DATE_FORMS}")
    days = int(number)
    epoch = _EXCEL_EPOCH if days >= 61 else _EXCEL_EPOCH + timedelta(days=1)
    return (epoch + timedelta(days=days)).isoformat()
