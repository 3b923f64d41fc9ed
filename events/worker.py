"""Events of a worker's stream; the stream's id is derived from the NIK."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import RegistryCreated, RegistryEvent


class WorkerRegistered(RegistryCreated):
    """The registry first learned of this NIK (with its first enrollment)."""

    TOPIC = "WorkerRegistered"

    nik: str
    name: str
    birth_date: date | None
    sex: str | None
    occupation: str
    address: str | None


class WorkerEnrolled(RegistryEvent):
    """Covered for `programs` from `starts_on` to `ends_on` under an agreement.

    The worker's details as given with this enrollment ride along: the
    latest given are the worker's details.
    """

    TOPIC = "WorkerEnrolled"

    enrollment_id: str
    agreement_id: UUID
    agreement_number: str
    region_code: str
    term_number: int
    programs: list[str]
    starts_on: date
    ends_on: date
    name: str
    birth_date: date | None
    sex: str | None
    occupation: str
    address: str | None


class EnrollmentCarriedOver(RegistryEvent):
    """A renewal moved the enrollment into term `term_number`, to `ends_on`."""

    TOPIC = "EnrollmentCarriedOver"

    enrollment_id: str
    agreement_id: UUID
    term_number: int
    ends_on: date


class WorkerDisenrolled(RegistryEvent):
    """Coverage under the enrollment ends on `ends_on` (the last covered day)."""

    TOPIC = "WorkerDisenrolled"

    enrollment_id: str
    agreement_id: UUID
    ends_on: date
    reason_code: str
    reason: str | None


class EnrollmentVoided(RegistryEvent):
    """The enrollment was recorded in error: it never covered anyone."""

    TOPIC = "EnrollmentVoided"

    enrollment_id: str
    agreement_id: UUID
    reason: str


class WorkerCorrected(RegistryEvent):
    """The worker's details were corrected; `None` fields stayed as they were."""

    TOPIC = "WorkerCorrected"

    reason: str
    name: str | None
    birth_date: date | None
    sex: str | None
    occupation: str | None
    address: str | None
