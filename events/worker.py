"""Events of a worker's stream; the stream's id is derived from the NIK."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from events.base import RegistryCreated, RegistryEvent, without_reason


class WorkerRegistered(RegistryCreated):
    """The registry first learned of this NIK (with its first enrollment).

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "WorkerRegistered"
    class_version = 2

    nik: str
    name: str
    birth_date: date | None
    sex: str | None
    occupation: str
    address: str | None
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


class WorkerEnrolled(RegistryEvent):
    """Covered for `programs` from `starts_on` to `ends_on` under an agreement.

    The worker's details as given with this enrollment ride along: the
    latest given are the worker's details.

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "WorkerEnrolled"
    class_version = 2

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
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


class EnrollmentCarriedOver(RegistryEvent):
    """A renewal moved the enrollment into term `term_number`, to `ends_on`.

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "EnrollmentCarriedOver"
    class_version = 2

    enrollment_id: str
    agreement_id: UUID
    term_number: int
    ends_on: date
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


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


class WorkerLegalHoldSet(RegistryEvent):
    """The worker's data is (`held`) or is no longer linked to the settlement of a
    legal case: while held, it may not be erased."""

    TOPIC = "WorkerLegalHoldSet"

    held: bool
    reason: str


class WorkerPersonalDataErased(RegistryEvent):
    """The worker's data key was destroyed at their request: every personal field of
    the stream is undecryptable from then on. Holds no personal data itself."""

    TOPIC = "WorkerPersonalDataErased"

    reason: str
    legal_basis: str
