"""Fields and schemas shared by every resource."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from registry.domain import region_codes as regions

MAX_INT = 2**31 - 1
# C0 and C1 controls but tab, newline and carriage return; lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)

# Patterns the OpenAPI document states: ECMA-262 (as JSON Schema requires), each meaning
# what the server checks, so that a client generated from the document sends what is taken.
# A date of 1900-2199 (the format says it is a real date).
DATE_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-[0-9]{2}-[0-9]{2}$"
# Text with a character that is not white space, and no C0/C1 control but tab, LF and CR.
TEXT_PATTERN = (r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*"
                r"[^\s\u0000-\u001f\u007f-\u009f]"
                r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$")
BLANK_TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
REGION_PATTERN = r"^[0-9]{2}(\.[0-9]{2})?$"
# A NIK that can exist (registry/domain/nik.py `check`): the encoded day DD (+40 for
# women) is a real day of month MM in 19YY or 20YY, and the serial is not 0000.
NIK_PATTERN = (
    r"^[0-9]{6}(?:(?:0[1-9]|1[0-9]|2[0-8]|4[1-9]|5[0-9]|6[0-8])(?:0[1-9]|1[0-2])[0-9]{2}"
    r"|(?:29|30|69|70)(?:0[13-9]|1[0-2])[0-9]{2}|(?:31|71)(?:0[13578]|1[02])[0-9]{2}"
    r"|(?:29|69)02(?:[02468][048]|[13579][26]))"
    r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])$")


class Strict(Schema):
    """Unknown fields are errors: a typo must not be silently dropped."""

    class Meta:
        ordered = True


class Text(fields.String):
    """Trimmed text without control characters, of bounded length."""

    def __init__(self, *, max_length: int = 200, blank: bool = False, **kwargs: Any) -> None:
        # Checked in _deserialize, not by a validator: this field is read for every
        # row of a 50,000-row batch. The schema still documents the bounds.
        self.min_length = 0 if blank else 1
        self.max_length = max_length
        # White space around the text is trimmed before its length is counted; the
        # document bounds the text as sent.
        metadata = {"minLength": self.min_length, "maxLength": max_length,
                    "pattern": TEXT_PATTERN if self.min_length else BLANK_TEXT_PATTERN,
                    **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not self.min_length <= len(text) <= self.max_length:
            raise ValidationError(
                f"Length must be between {self.min_length} and {self.max_length}.")
        if _CONTROL.search(text):
            raise ValidationError("must not contain control characters")
        return text


class RegionCode(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": REGION_PATTERN, **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not regions.is_region_code(code):
            raise ValidationError('must be a Kemendagri code such as "12" or "12.75"')
        return code


FIRST_MOMENT = datetime(EARLIEST.year, 1, 1, tzinfo=UTC)
LAST_MOMENT = datetime(LATEST.year, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


class UtcTimestamp(fields.DateTime):
    """An ISO 8601 instant; without an offset it is taken as UTC.

    A record time (`known_at`): before 1900 nothing was recorded and after 2199
    nothing more can have been, so a moment outside them asks the same as the
    nearest of the two, and is read as it.
    """

    default_error_messages = {
        "invalid": "Not a valid date-time; expected ISO 8601, e.g. 2024-01-31T10:00:00Z."}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            return FIRST_MOMENT if moment.year < EARLIEST.year else LAST_MOMENT
        return min(max(moment, FIRST_MOMENT), LAST_MOMENT)


class Day(fields.Date):
    """An ISO date between 1900 and 2199: business dates, with room for date arithmetic."""

    default_error_messages = {"invalid": "Not a valid date; expected YYYY-MM-DD."}

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": DATE_PATTERN, **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(f"must fall between {EARLIEST} and {LATEST}")
        return day


class StrictBoolean(fields.Boolean):
    """JSON true or false only; not 1, 0 or "true"."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


class Nik(fields.String):
    """A NIK: 16 ASCII digits here; the domain checks the date and serial it encodes,
    with its own messages. The document states the whole rule (NIK_PATTERN)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"pattern": NIK_PATTERN, **(kwargs.pop("metadata", None) or {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        nik = super()._deserialize(value, attr, data, **kwargs)
        if not (len(nik) == 16 and nik.isascii() and nik.isdigit()):
            raise ValidationError("must be exactly 16 digits")
        return nik


def Count(*, strict: bool = True, **kwargs: Any) -> fields.Integer:  # noqa: N802
    """A whole number >= 1; in a JSON body never a string or a float."""
    return fields.Integer(strict=strict, validate=validate.Range(min=1, max=MAX_INT), **kwargs)


def Rupiah(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(strict=True, validate=validate.Range(min=0, max=10**12), **kwargs)


class PageArgs(Strict):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ProblemSchema(Schema):
    """RFC 9457 problem details, with the registry's stable `code`.

    Extension members are allowed (RFC 9457 section 3.2): a refused atomic
    batch also carries its counts and `rows`.
    """

    class Meta:
        unknown = INCLUDE  # documented as additionalProperties: true

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    code = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.String())
