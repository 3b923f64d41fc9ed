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
        metadata = {"minLength": self.min_length, "maxLength": max_length,
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
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        code = super()._deserialize(value, attr, data, **kwargs)
        if not regions.is_region_code(code):
            raise ValidationError('must be a Kemendagri code such as "12" or "12.75"')
        return code


class UtcTimestamp(fields.DateTime):
    """An ISO 8601 instant; without an offset it is taken as UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("out of range") from None
        if not EARLIEST.year <= moment.year <= LATEST.year:
            raise ValidationError(f"must fall between {EARLIEST.year} and {LATEST.year}")
        return moment


class Day(fields.Date):
    """An ISO date between 1900 and 2199: business dates, with room for date arithmetic."""

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
