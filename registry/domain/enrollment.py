"""Value objects an enrollment is made of, and the enrollment as a worker holds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Literal, TypeAlias
from uuid import UUID

from eventsourcing.persistence import Transcoding

from registry.domain import coverage_rules

REASON_CODES = ("DECEASED", "MOVED_AWAY", "BECAME_WAGE_EARNER", "VOLUNTARY", "OTHER")

Status: TypeAlias = Literal["active", "ended", "voided"]

Terminations: TypeAlias = Mapping[UUID, date | None]
"""When each agreement was terminated, by its id; None or absent: it was not.

An enrollment under a terminated agreement covers no day after that one.
"""


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


@dataclass(frozen=True)
class Enrollment:
    """One enrollment of a worker under an agreement, as the Worker aggregate holds it.

    `ends_on` is the last day covered as recorded (moved by a carry-over or a
    disenrollment); an agreement's termination is not recorded here.
    """

    enrollment_id: str
    agreement_id: UUID
    agreement_number: str
    region_code: str
    term_number: int
    programs: tuple[str, ...]
    starts_on: date
    ends_on: date
    status: Status = "active"
    reason_code: str | None = None

    def __deepcopy__(self, memo: dict[int, Any]) -> Enrollment:
        # Immutable all the way down (str, UUID, int, a tuple of str, date): a copy
        # of the worker (registry/service/cache.py copies on every get) may share it.
        return self

    @property
    def live(self) -> bool:
        """Not voided: it covered (or covers) someone."""
        return self.status != "voided"

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def covered_until(self, terminations: Terminations) -> date:
        """The last day covered, given when the agreements were terminated."""
        return coverage_rules.covered_until(self.ends_on, terminations.get(self.agreement_id))

    def overlaps(self, starts_on: date, ends_on: date, terminations: Terminations) -> bool:
        """Whether it covers a day from `starts_on` to `ends_on`."""
        return coverage_rules.covers(self.status, self.starts_on, self.covered_until(terminations),
                                     starts_on, ends_on)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Enrollment:
        """From the shape snapshots of a worker held before enrollments were typed:
        a dict with the agreement's id as a string and a list of programs."""
        return cls(**{**data, "agreement_id": UUID(str(data["agreement_id"])),
                      "programs": tuple(data["programs"])})


class EnrollmentAsDict(Transcoding):
    """Lets snapshots of workers carry their enrollments."""

    type = Enrollment
    name = "enrollment"

    def encode(self, obj: Enrollment) -> dict[str, Any]:
        # Field by field, not `asdict`: the programs stay a tuple until JSON makes
        # a list of them, and no field is deep-copied for nothing.
        return {f.name: getattr(obj, f.name) for f in fields(obj)}

    def decode(self, data: dict[str, Any]) -> Enrollment:
        return Enrollment(**{**data, "programs": tuple(data["programs"])})
