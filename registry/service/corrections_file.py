"""A corrections file as read: its rows, and what the preview found of each.

The rows' shape is checked where they are read (api/correction_rows.py); their
sense, against the registry, by the preview (registry/service/corrections.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any
from uuid import UUID

from registry.domain.errors import RegistryError

MAX_ROWS = 50_000
DATE_FIELDS = ("ends_on", "birth_date", "starts_on")


class UnknownAction(RegistryError):
    code = "unknown_action"


class UnknownAgreement(RegistryError):
    code = "unknown_agreement"


class UnknownNik(RegistryError):
    code = "unknown_nik"


class RowForbidden(RegistryError):
    code = "forbidden"


@dataclass(frozen=True)
class Correction:
    """One row of a corrections file, as read (its shape checked, not its sense).

    `reason` is the row's own, else the file's. `agreement_id` may stand in for
    `agreement_number`.
    """

    row: int
    action: str
    nik: str
    agreement_number: str | None = None
    agreement_id: UUID | None = None
    ends_on: date | None = None
    reason_code: str | None = None
    reason: str | None = None
    name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    occupation: str | None = None
    address: str | None = None
    starts_on: date | None = None
    programs: list[str] | None = None

    def as_json(self) -> dict[str, Any]:
        found = {f.name: getattr(self, f.name) for f in FIELDS}
        return {k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, UUID)
                    else v) for k, v in found.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Correction:
        values = dict(data)
        for name in DATE_FIELDS:
            if name in values:
                values[name] = date.fromisoformat(values[name])
        if "agreement_id" in values:
            values["agreement_id"] = UUID(values["agreement_id"])
        return cls(**values)


FIELDS = fields(Correction)


@dataclass
class RowOutcome:
    row: int
    action: str | None
    nik: str | None
    error: RegistryError | None = None

    @property
    def status(self) -> str:
        return "ok" if self.error is None else "rejected"


@dataclass
class CorrectionsFileIn:
    """A file as read: its reason, its rows of the right shape, and the others."""

    reason: str | None
    corrections: list[Correction]
    rejected: list[RowOutcome] = field(default_factory=list)

    def as_json(self) -> list[dict[str, Any]]:
        return [c.as_json() for c in self.corrections]

    @staticmethod
    def digest(rows: list[dict[str, Any]]) -> str:
        """Of the corrections as `as_json` gives them: the same file, the same digest."""
        return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
