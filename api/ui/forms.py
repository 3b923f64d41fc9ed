"""Reading a page's query and form fields, with errors in the page's language.

The rules are the domain's (`registry.domain.nik.check`, ISO dates); only the
messages are the page's own. A field that fails gives `(None, message)`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _

from registry.domain import nik as niks
from registry.domain.dates import JAKARTA
from registry.domain.errors import ValidationFailed

Field = tuple[Any, str | None]  # the value, or None and the error to show beside the field


def nik_field(name: str = "nik") -> Field:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None, _("Enter the worker's 16-digit NIK.")
    return nik_value(raw)


def nik_value(raw: str) -> Field:
    if not (len(raw) == 16 and raw.isascii() and raw.isdigit()):
        return None, _("A NIK is 16 digits; this one is not.")
    try:
        niks.check(raw)
    except ValidationFailed:
        return None, _("This is not a valid NIK: its region, date of birth or serial "
                       "number is impossible.")
    return raw, None


def day_field(name: str, default: date | None = None) -> Field:
    """A date as YYYY-MM-DD (what `<input type=date>` sends); `default` when empty."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, _("Enter a date as YYYY-MM-DD, for example 2022-10-04.")


def moment_field(name: str) -> Field:
    """A record time: a date (its end of day, WIB) or a date and time (WIB), or ISO with
    a zone; empty for none."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None, None
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999,
                            tzinfo=JAKARTA), None
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None, _("Enter a record time as YYYY-MM-DD or YYYY-MM-DDTHH:MM, for "
                       "example 2023-01-15T09:30.")
    return (moment if moment.tzinfo else moment.replace(tzinfo=JAKARTA)), None


def page_cursor(name: str = "after") -> int:
    raw = request.args.get(name) or "0"
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else 0
