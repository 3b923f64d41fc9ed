"""Value objects an enrollment is made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

REASON_CODES = ("DECEASED", "MOVED_AWAY", "BECAME_WAGE_EARNER", "VOLUNTARY", "OTHER")


@dataclass(frozen=True)
class Details:
    """What an enrollment says about the worker besides the NIK."""

    name: str
    occupation: str
    birth_date: date | None = None
    sex: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Coverage:
    """What an agreement grants one enrollment: a term, a period, programs."""

    agreement_id: UUID
    agreement_number: str
    region_code: str
    term_number: int
    programs: list[str]
    starts_on: date
    ends_on: date
