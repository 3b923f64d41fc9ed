"""Domain errors. Each carries the stable `code` of the HTTP contract.

The domain raises them; `api/errors.py` maps them to problem+json, and the
CLI prints them. Nothing here knows about HTTP beyond the code's name.
"""

from __future__ import annotations

from typing import Protocol


class RegistryError(Exception):
    """Base class: a request the registry refuses, with a stable code."""

    code = "invalid_transition"
    # The worker's id when the refusal was about a record outside the caller's regions.
    subject: str | None = None

    def __init__(self, detail: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class ValidationFailed(RegistryError):
    """The request is well-formed but a field breaks a domain rule."""

    code = "validation_failed"


class NotFound(RegistryError):
    """The named agreement (or worker) does not exist, or is out of scope."""

    code = "not_found"


class DuplicateAgreementNumber(RegistryError):
    """Another agreement already has this `agreement_number`."""

    code = "duplicate_agreement_number"


class QuotaExceeded(RegistryError):
    """A quota would be exceeded, or lowered below what is already held."""

    code = "quota_exceeded"


class AgreementNotActive(RegistryError):
    """The agreement is terminated, or the date is outside its terms."""

    code = "agreement_not_active"


class InvalidTransition(RegistryError):
    """The lifecycle does not allow this change in the agreement's state."""

    code = "invalid_transition"


class ConcurrentUpdate(RegistryError):
    """Other writers kept changing the same aggregates; retries ran out."""

    code = "concurrent_update"


class PreconditionFailed(RegistryError):
    """`If-Match` named a version that is no longer the current one."""

    code = "precondition_failed"


class Versioned(Protocol):
    """An aggregate, as far as `If-Match` is concerned."""

    @property
    def version(self) -> int: ...


def require_version(aggregate: Versioned, expected: int | None, what: str) -> None:
    """Refuse a write based on a stale read (`If-Match`)."""
    if expected is not None and aggregate.version != expected:
        raise PreconditionFailed(
            f"If-Match names version {expected}, but the {what} is at version "
            f"{aggregate.version}")


class AlreadyCovered(RegistryError):
    """The NIK is already covered for one of these programs in an overlapping period."""

    code = "already_covered"


class WorkerDeceased(RegistryError):
    """A DECEASED disenrollment forbids coverage after its `ends_on`."""

    code = "worker_deceased"


class IdentityMismatch(RegistryError):
    """The name sent with an existing NIK is not the name recorded for it."""

    code = "identity_mismatch"


# What a refusal may say when the record it rests on lies outside the caller's regions:
# the code, and nothing of the agreement, dates, region or death it was decided on.
WITHHELD = ("refused ({code}): this worker's other records lie outside your regions, "
            "so nothing more can be said")


def withheld(error: RegistryError, subject: str) -> RegistryError:
    """The same refusal, saying only its code; `subject` names the worker refused."""
    hidden = type(error)(WITHHELD.format(code=error.code))
    hidden.subject = subject
    return hidden


class LegalHold(RegistryError):
    """The worker's data is linked to the settlement of a legal case: kept."""

    code = "legal_hold"


class AlreadyErased(RegistryError):
    """The worker's personal data was erased already."""

    code = "already_erased"


class RecordedInClear(RegistryError):
    """The worker was recorded before personal data was sealed: destroying a key
    would erase nothing (docs/privacy.md, migration)."""

    code = "recorded_in_clear"
