"""The Worker aggregate: one NIK's enrollments, and the no-double-coverage rule."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import replace
from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import (
    EnrollmentCarriedOver,
    EnrollmentVoided,
    RegistryEvent,
    WorkerCorrected,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerLegalHoldSet,
    WorkerPersonalDataErased,
    WorkerRegistered,
)
from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.enrollment import REASON_CODES, Coverage, Details, Enrollment, Terminations
from registry.domain.errors import (
    AlreadyCovered,
    AlreadyErased,
    IdentityMismatch,
    InvalidTransition,
    LegalHold,
    NotFound,
    ValidationFailed,
    WorkerDeceased,
)
from registry.domain.identity import same_name
from registry.domain.ids import derived_id
from registry.domain.region_codes import in_any


class Worker(Aggregate):
    """A vulnerable worker, identified by NIK."""

    TOPIC = "Worker"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = WorkerRegistered  # type: ignore[assignment]
    # Version 2 holds enrollments as `Enrollment`s; version 1 snapshots, as dicts.
    class_version = 2

    # Class defaults: snapshots taken before either existed hold neither.
    legal_hold = False  # the data is linked to the settlement of a legal case
    erased = False  # the personal data was erased (its key destroyed)

    def __init__(self) -> None:
        self.enrollments: dict[str, Enrollment] = {}
        self.deceased_on: date | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken when enrollments were plain dicts."""
        state["enrollments"] = {enrollment_id: Enrollment.from_dict(enrollment)
                                for enrollment_id, enrollment in state["enrollments"].items()}

    @staticmethod
    def create_id(nik: str) -> UUID:
        """The stream id of a worker whose NIK is not kept secret (one registered
        before personal data was sealed; a registry without a keyring)."""
        return derived_id("worker", nik)

    @classmethod
    def register(cls, ctx: Context, nik: str, details: Details,
                 worker_id: UUID | None = None) -> Worker:
        """A new worker; its stream id is given by whoever keeps NIKs secret."""
        return cls._create(WorkerRegistered, id=worker_id or cls.create_id(nik),
                           **ctx.stamp_with_reason(),
                           nik=nik,
                           name=details.name, birth_date=details.birth_date, sex=details.sex,
                           occupation=details.occupation, address=details.address)

    # Commands.

    def enroll(self, ctx: Context, coverage: Coverage, details: Details,
               terminations: Terminations | None = None) -> str:
        """Cover the worker; refuse another name for this NIK, and overlap with any
        other enrollment's programs."""
        self._require_not_erased()
        if not same_name(details.name, self.name):
            raise IdentityMismatch(
                "the name sent does not match the name recorded for this NIK: check the NIK, "
                "or correct the recorded name first (POST /workers/{nik}/corrections)",
                {"name": "does not match the name recorded for this NIK"})
        self._check_can_cover(coverage.starts_on, coverage.ends_on, coverage.programs,
                              terminations or {}, agreement_id=coverage.agreement_id)
        enrollment_id = uuid.uuid4().hex
        self.trigger_event(
            WorkerEnrolled, **ctx.stamp_with_reason(), enrollment_id=enrollment_id,
            agreement_id=coverage.agreement_id, agreement_number=coverage.agreement_number,
            region_code=coverage.region_code, term_number=coverage.term_number,
            programs=list(coverage.programs), starts_on=coverage.starts_on,
            ends_on=coverage.ends_on, name=details.name, birth_date=details.birth_date,
            sex=details.sex, occupation=details.occupation, address=details.address)
        return enrollment_id

    def can_continue(self, enrollment_id: str, starts_on: date, until: date,
                     terminations: Terminations) -> bool:
        """Whether a renewal may cover this enrollment's worker from `starts_on` to `until`.

        Not past a recorded death, and not over another enrollment that covers
        the same programs in those days.
        """
        enrollment = self.enrollments[enrollment_id]
        try:
            self._check_can_cover(starts_on, until, enrollment.programs, terminations,
                                  enrollment_id)
        except (AlreadyCovered, WorkerDeceased):
            return False
        return True

    def carry_over(self, ctx: Context, enrollment_id: str, term_number: int,
                   starts_on: date, ends_on: date,
                   terminations: Terminations | None = None) -> None:
        """Continue the enrollment into a renewal's term.

        A term that follows without a gap extends the enrollment; after a gap
        the worker is enrolled anew from the term's start, so that no coverage
        is ever recorded for the days between terms.
        """
        old = self.enrollments[enrollment_id]
        if starts_on == old.ends_on + timedelta(days=1):
            self.trigger_event(EnrollmentCarriedOver, **ctx.stamp_with_reason(),
                               enrollment_id=enrollment_id, agreement_id=old.agreement_id,
                               term_number=term_number, ends_on=ends_on)
            return
        coverage = Coverage(old.agreement_id, old.agreement_number, old.region_code,
                            term_number, list(old.programs), starts_on, ends_on)
        details = Details(self.name, self.occupation, self.birth_date, self.sex, self.address)
        self.enroll(ctx, coverage, details, terminations)

    def disenroll(self, ctx: Context, agreement_id: UUID, *, ends_on: date,
                  reason_code: str, reason: str | None = None) -> Enrollment:
        """End coverage on `ends_on`; returns the enrollment as it was (its slot is freed)."""
        enrollment = self.enrollment_under(agreement_id, containing=ends_on)
        return self.end(ctx, enrollment.enrollment_id, ends_on=ends_on,
                        reason_code=reason_code, reason=reason)

    def end(self, ctx: Context, enrollment_id: str, *, ends_on: date, reason_code: str,
            reason: str | None = None) -> Enrollment:
        """End one enrollment on `ends_on`; returns it as it was."""
        if reason_code not in REASON_CODES:
            raise ValidationFailed(f"reason_code: must be one of {', '.join(REASON_CODES)}",
                                   {"reason_code": "unknown reason code"})
        enrollment = self.enrollments[enrollment_id]
        if enrollment.status != "active":
            raise InvalidTransition(f"the enrollment is already {enrollment.status}")
        if not enrollment.contains(ends_on):
            raise ValidationFailed(
                f"ends_on: must fall within the coverage, {enrollment.starts_on} to "
                f"{enrollment.ends_on}; to erase an enrollment made in error, void it",
                {"ends_on": "outside the enrollment's coverage"})
        self.trigger_event(WorkerDisenrolled, **ctx.stamp(), enrollment_id=enrollment_id,
                           agreement_id=enrollment.agreement_id, ends_on=ends_on,
                           reason_code=reason_code, reason=reason or ctx.reason)
        return enrollment

    def void(self, ctx: Context, agreement_id: UUID, reason: str) -> Enrollment:
        """Erase an enrollment recorded in error; returns it as it was before."""
        return self.void_enrollment(ctx, self.enrollment_under(agreement_id).enrollment_id,
                                    reason)

    def void_enrollment(self, ctx: Context, enrollment_id: str, reason: str) -> Enrollment:
        """Erase one enrollment recorded in error; returns it as it was before."""
        if not reason.strip():
            raise ValidationFailed("reason: must not be blank", {"reason": "must not be blank"})
        enrollment = self.enrollments[enrollment_id]
        self.trigger_event(EnrollmentVoided, **ctx.stamp(), enrollment_id=enrollment_id,
                           agreement_id=enrollment.agreement_id, reason=reason)
        return enrollment

    def correct(self, ctx: Context, reason: str, **changes: Any) -> None:
        """Correct name, birth date, sex, occupation or address; the reason is kept.

        A wrong NIK cannot be corrected: void the enrollment and enroll again.
        """
        if not reason.strip():
            raise ValidationFailed("reason: must not be blank", {"reason": "must not be blank"})
        self._require_not_erased()
        fields = ("name", "birth_date", "sex", "occupation", "address")
        changes = {k: v for k, v in changes.items() if k in fields and v is not None}
        if not any(getattr(self, k) != v for k, v in changes.items()):
            raise ValidationFailed(
                "nothing to correct: give a field whose value differs from the record",
                {"_schema": "no field differs from the record"})
        niks.check(self.nik, changes.get("birth_date"), changes.get("sex"))
        self.trigger_event(WorkerCorrected, **ctx.stamp(), reason=reason,
                           **{k: changes.get(k) for k in fields})

    def set_legal_hold(self, ctx: Context, held: bool, reason: str) -> bool:
        """Keep (or stop keeping) the data for a legal case; whether anything changed."""
        if not reason.strip():
            raise ValidationFailed("reason: must not be blank", {"reason": "must not be blank"})
        self._require_not_erased()
        if held == self.legal_hold:
            return False
        self.trigger_event(WorkerLegalHoldSet, **ctx.stamp(), held=held, reason=reason)
        return True

    def erase(self, ctx: Context, reason: str, legal_basis: str) -> None:
        """Forget the person (UU 27/2022): what remains are pseudonymous coverage facts."""
        for name, value in (("reason", reason), ("legal_basis", legal_basis)):
            if not value.strip():
                raise ValidationFailed(f"{name}: must not be blank", {name: "must not be blank"})
        self._require_not_erased()
        if self.legal_hold:
            raise LegalHold("the worker's data is linked to the settlement of a legal case "
                            "(legal hold): lift the hold first (PUT /workers/{nik}/legal-hold)")
        self.trigger_event(WorkerPersonalDataErased, **ctx.stamp(), reason=reason,
                           legal_basis=legal_basis)

    def _require_not_erased(self) -> None:
        if self.erased:
            raise AlreadyErased("this worker's personal data was erased; nothing personal "
                                "is recorded about them again")

    def outlived_enrollments(self, died_on: date) -> list[Enrollment]:
        """Enrollments (active or already ended) that still cover a day after `died_on`."""
        return [e for e in self.live_enrollments() if e.ends_on > died_on]

    def cut_at_death(self, ctx: Context, enrollment_id: str, died_on: date,
                     reason: str) -> None:
        """Shorten an enrollment that had ended after the worker's death to that day."""
        enrollment = self.enrollments[enrollment_id]
        self.trigger_event(WorkerDisenrolled, **ctx.stamp(), enrollment_id=enrollment_id,
                           agreement_id=enrollment.agreement_id, ends_on=died_on,
                           reason_code="DECEASED", reason=reason)

    def _check_can_cover(self, starts_on: date, ends_on: date, programs: Collection[str],
                         terminations: Terminations,
                         except_id: str | None = None,
                         agreement_id: UUID | None = None) -> None:
        if self.deceased_on is not None and ends_on > self.deceased_on:
            raise WorkerDeceased(
                f"the worker was disenrolled as deceased on {self.deceased_on}; "
                "no coverage after that day")
        for other in self.live_enrollments():
            if other.enrollment_id == except_id or not other.overlaps(starts_on, ends_on,
                                                                      terminations):
                continue
            until = other.covered_until(terminations)
            if other.agreement_id == agreement_id:
                # One enrollment per worker and agreement at a time: another program
                # under the same agreement would take a second quota slot.
                raise AlreadyCovered(
                    f"already enrolled under agreement {other.agreement_number} from "
                    f"{other.starts_on} to {until}")
            shared = set(other.programs) & set(programs)
            if shared:
                raise AlreadyCovered(
                    f"already covered for {', '.join(sorted(shared))} from "
                    f"{other.starts_on} to {until} under agreement "
                    f"{other.agreement_number}")

    # Queries.

    def live_enrollments(self) -> list[Enrollment]:
        """The enrollments not voided, oldest first."""
        return [e for e in self.enrollments.values() if e.live]

    def enrolled_alike(self, coverage: Coverage, details: Details,
                       starts_on: date | None = None) -> str | None:
        """The enrollment that already holds what a row sent again asks for, if any.

        Active under the same agreement, overlapping the coverage asked for, with
        the same programs (and the same start, when the row names one), of a worker
        whose record has the same details (each one the row gives): re-running an
        interrupted file then writes nothing twice. Anything else is a new request.
        """
        sent = (("name", details.name), ("occupation", details.occupation),
                ("birth_date", details.birth_date), ("sex", details.sex),
                ("address", details.address))
        if any(value is not None and getattr(self, name) != value for name, value in sent):
            return None
        for e in self.live_enrollments():
            if (e.agreement_id == coverage.agreement_id and e.status == "active"
                    and set(e.programs) == set(coverage.programs)
                    and e.overlaps(coverage.starts_on, coverage.ends_on, {})
                    and starts_on in (None, e.starts_on)):
                return e.enrollment_id
        return None

    def visible_in(self, regions: tuple[str, ...] | None) -> bool:
        """Whether a token scoped to `regions` (None: every region) may read the worker:
        only while an enrollment, not voided, lies under an agreement in them."""
        return regions is None or any(in_any(regions, e.region_code)
                                      for e in self.live_enrollments())

    def enrollment_under(self, agreement_id: UUID,
                         containing: date | None = None) -> Enrollment:
        """The enrollment under the agreement that was not voided: the active one
        whose coverage contains `containing` if there is one, else the latest."""
        found = [e for e in self.live_enrollments() if e.agreement_id == agreement_id]
        if not found:
            raise NotFound(f"the worker has no enrollment under agreement {agreement_id}")
        if containing is not None:
            holding = [e for e in found if e.status == "active" and e.contains(containing)]
            if holding:
                return holding[0]
        return found[-1]

    # State changes, applied on every replay.

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(WorkerRegistered)
    def _registered(self, e: WorkerRegistered) -> None:
        self.nik = e.nik
        self._details(e)

    def _details(self, e: WorkerRegistered) -> None:
        self.name = e.name
        self.occupation = e.occupation
        self.birth_date = e.birth_date
        self.sex = e.sex
        self.address = e.address

    @when.register(WorkerCorrected)
    def _corrected(self, e: WorkerCorrected) -> None:
        for field in ("name", "birth_date", "sex", "occupation", "address"):
            if getattr(e, field) is not None:
                setattr(self, field, getattr(e, field))

    @when.register(WorkerEnrolled)
    def _enrolled(self, e: WorkerEnrolled) -> None:
        # The details given with an enrollment stay with it: the worker's own
        # change only through a correction, which needs a reason.
        self.enrollments[e.enrollment_id] = Enrollment(
            e.enrollment_id, e.agreement_id, e.agreement_number, e.region_code,
            e.term_number, tuple(e.programs), e.starts_on, e.ends_on)

    @when.register(EnrollmentCarriedOver)
    def _carried_over(self, e: EnrollmentCarriedOver) -> None:
        self._change(e.enrollment_id, term_number=e.term_number, ends_on=e.ends_on)

    @when.register(WorkerDisenrolled)
    def _disenrolled(self, e: WorkerDisenrolled) -> None:
        self._change(e.enrollment_id, status="ended", ends_on=e.ends_on,
                     reason_code=e.reason_code)
        if e.reason_code == "DECEASED":
            self.deceased_on = e.ends_on

    @when.register(WorkerLegalHoldSet)
    def _legal_hold(self, e: WorkerLegalHoldSet) -> None:
        self.legal_hold = e.held

    @when.register(WorkerPersonalDataErased)
    def _erased(self, e: WorkerPersonalDataErased) -> None:
        # What the sealed fields held is gone; nothing of it stays in memory either.
        self.erased = True
        self.__dict__.update(nik=None, name=None, birth_date=None, address=None)

    @when.register(EnrollmentVoided)
    def _voided(self, e: EnrollmentVoided) -> None:
        self._change(e.enrollment_id, status="voided")

    def _change(self, enrollment_id: str, **changes: Any) -> None:
        self.enrollments[enrollment_id] = replace(self.enrollments[enrollment_id], **changes)
