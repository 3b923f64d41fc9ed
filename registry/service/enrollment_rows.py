"""What an enrollment asks for and what each row of one comes to: the values the
enrollment use cases (registry/service/enrollments.py) take and give back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from registry.domain import nik as niks
from registry.domain.enrollment import Details
from registry.domain.errors import RegistryError


@dataclass(frozen=True)
class EnrollmentRequest:
    """One worker to enroll; `row` numbers the data rows of a batch from 0."""

    nik: str
    details: Details
    programs: list[str] | None = None
    starts_on: date | None = None
    row: int = 0


@dataclass
class RowResult:
    row: int
    nik: str | None
    status: str  # enrolled, already_enrolled, rejected, not_written
    error: RegistryError | None = None
    enrollment_id: str | None = None


@dataclass
class BatchOutcome:
    results: list[RowResult]
    written: bool
    position: int | None = None
    agreement_version: int | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def with_encoded_details(request: EnrollmentRequest, on: date) -> EnrollmentRequest:
    """The birth date and sex the NIK encodes, where the request gives none."""
    details = request.details
    if details.birth_date is not None and details.sex is not None:
        return request
    filled = replace(details,
                     birth_date=details.birth_date or niks.encoded_birth_date(request.nik, on),
                     sex=details.sex or niks.encoded_sex(request.nik))
    return replace(request, details=filled)
