"""Enrollment use cases: enroll (one or a batch), disenroll, void, set targets.

A mixin of `RegistryApplication`. Every enrollment saves the agreement (its
quota slots) and the workers (their coverage) in one `save()`, so quota and
no-double-coverage hold under any number of concurrent writers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.dates import today
from registry.domain.enrollment import Coverage, Enrollment, Terminations
from registry.domain.errors import NotFound, QuotaExceeded, RegistryError, require_version, withheld
from registry.domain.region import Region
from registry.domain.worker import Worker
from registry.service.enrollment_rows import (
    BatchOutcome,
    EnrollmentRequest,
    RowResult,
    with_encoded_details,
)
from registry.service.group_commit import GroupCommit
from registry.service.streams import load_streams
from registry.service.workspace import Workspace

if TYPE_CHECKING:
    from registry.domain.agreement import Agreement

MAX_BATCH_ROWS = 50_000
# A batch this big works for long enough between reading the agreement and
# saving that single enrollments would win most races: it reserves the
# agreement from its first attempt (registry/store/reservations.py).
RESERVE_FROM_ROWS = 1_000


@dataclass
class _Plan:
    agreement: Agreement
    workers: dict[str, Worker] = field(default_factory=dict)
    touched: dict[str, Worker] = field(default_factory=dict)
    slots: Counter[int] = field(default_factory=Counter)
    # Slots freed by the same write but not yet released (`Workspace.release_slot`).
    released: Counter[int] = field(default_factory=Counter)
    coverages: dict[tuple[Any, ...], Coverage] = field(default_factory=dict)
    results: list[RowResult] = field(default_factory=list)
    # A batch: a row its worker is already enrolled for, alike, is `already_enrolled`.
    recognise_enrolled: bool = False
    # A batch: the stream id a worker not registered yet gets, by NIK, worked out once.
    new_ids: dict[str, UUID] = field(default_factory=dict)


_committer_guard = threading.Lock()


class EnrollmentUseCases:
    """Mixed into RegistryApplication; relies on its `write`, `_get`, `aggregates` and
    its worker ids."""

    _group_commit: GroupCommit | None = None

    @property
    def group_commit(self) -> GroupCommit:
        """This application's one committer of single-worker writes."""
        if self._group_commit is None:
            with _committer_guard:
                if self._group_commit is None:
                    self._group_commit = GroupCommit(self)
        return self._group_commit

    aggregates: Any
    recorder: Any
    worker_id: Any
    worker_ids: Any
    new_worker_id: Any
    write: Any
    agreement_for_write: Any
    _get: Any

    def enroll_worker(self, ctx: Context, agreement_id: UUID, request: EnrollmentRequest,
                      *, expected_version: int | None = None) -> tuple[Worker, str, int]:
        """Enroll one worker; raises the rule it breaks. Returns worker, enrollment id, position.

        Saved with the single writes that arrive with it (registry/service/group_commit.py)."""

        def enroll(ws: Workspace) -> Callable[[], tuple[Worker, str]]:
            plan = self.enrollment_plan(ws, agreement_id)
            require_version(plan.agreement, expected_version, "agreement")
            ws.load_workers([request.nik])
            result = self.plan_enrollment(ws, ctx, plan, request, today())
            if result.error is not None:
                raise result.error
            self.take_planned_slots(ctx, plan)
            return lambda: (ws.worker(request.nik), result.enrollment_id or "")

        (worker, enrollment_id), position = self.group_commit.run(ctx, enroll)
        return worker, enrollment_id, position

    def enroll_workers(self, ctx: Context, agreement_id: UUID,
                       requests: list[EnrollmentRequest], *, atomic: bool = True,
                       expected_version: int | None = None,
                       dry_run: bool = False) -> BatchOutcome:
        """Enroll many workers in one transaction; per-row results.

        Atomic: every row is enrolled, or none is written. Otherwise the rows
        that pass every rule are written and the rest are rejected. A dry run
        checks every row and writes nothing. A row whose worker is already
        enrolled under the agreement as it asks (`Worker.enrolled_alike`) is
        `already_enrolled`: not written again, and no error, so that a file
        can be sent again after an interruption.
        """
        outcome, _ = self._enroll(ctx, agreement_id, requests, atomic=atomic,
                                  expected_version=expected_version, dry_run=dry_run,
                                  recognise_enrolled=True)
        return outcome

    def _enroll(self, ctx: Context, agreement_id: UUID, requests: list[EnrollmentRequest],
                *, atomic: bool, expected_version: int | None, dry_run: bool = False,
                recognise_enrolled: bool = False) -> tuple[BatchOutcome, dict[str, Worker]]:
        def attempt() -> tuple[list[Aggregate], tuple[BatchOutcome, dict[str, Worker]]]:
            plan = _Plan(self.agreement_for_write(agreement_id, expected_version),
                         recognise_enrolled=recognise_enrolled)
            plan.workers = self._existing_workers({r.nik for r in requests}, plan.new_ids)
            terminations = self._terminations(plan.workers.values())
            on = today()
            for request in requests:
                plan.results.append(self._plan_row(ctx, plan, request, terminations, on))
            rejected = any(r.status == "rejected" for r in plan.results)
            if not plan.touched or (atomic and rejected) or dry_run:
                if rejected or dry_run:
                    for r in plan.results:
                        if r.status == "enrolled":
                            r.status, r.enrollment_id = "not_written", None
                return [], (BatchOutcome(plan.results, written=False), plan.workers)
            self.take_planned_slots(ctx, plan)
            outcome = BatchOutcome(plan.results, written=True,
                                   agreement_version=plan.agreement.version)
            return [plan.agreement, *plan.touched.values()], (outcome, plan.workers)

        big = len(requests) >= RESERVE_FROM_ROWS and not dry_run
        (outcome, workers), position = self.write(attempt, ctx,
                                                  reserve=[agreement_id] if big else [])
        if outcome.written:
            outcome.position = position
        return outcome, workers

    def _plan_row(self, ctx: Context, plan: _Plan, request: EnrollmentRequest,
                  terminations: Terminations, on: date) -> RowResult:
        try:
            niks.check(request.nik, request.details.birth_date, request.details.sex)
            request = with_encoded_details(request, on)
            coverage = self._coverage(plan, request, on)
            if plan.recognise_enrolled and request.nik not in plan.touched:
                alike = self._enrolled_alike(plan, request, coverage)
                if alike is not None:
                    return RowResult(request.row, request.nik, "already_enrolled",
                                     enrollment_id=alike)
            term = coverage.term_number
            if not plan.agreement.has_room(term, plan.slots[term] - plan.released[term] + 1):
                quota = plan.agreement.terms[term - 1].quota
                raise QuotaExceeded(f"term {term} of {plan.agreement.agreement_number} "
                                    f"is full (quota {quota})")
            worker = plan.workers.get(request.nik) or Worker.register(
                ctx, request.nik, request.details,
                worker_id=plan.new_ids.get(request.nik) or self.new_worker_id(request.nik))
            enrollment_id = self._enroll_as_seen_by(ctx, worker, coverage, request, terminations)
        except RegistryError as error:
            return RowResult(request.row, request.nik, "rejected", error)
        plan.workers[request.nik] = plan.touched[request.nik] = worker
        plan.slots[term] += 1
        return RowResult(request.row, request.nik, "enrolled", enrollment_id=enrollment_id)

    @staticmethod
    def _enrolled_alike(plan: _Plan, request: EnrollmentRequest,
                        coverage: Coverage) -> str | None:
        # Only a worker enrolled before this batch: a second row of the same worker
        # in one batch is refused as covered, as it always was.
        worker = plan.workers.get(request.nik)
        if worker is None:
            return None
        return worker.enrolled_alike(coverage, request.details, request.starts_on)

    def enrollment_plan(self, ws: Workspace, agreement_id: UUID) -> _Plan:
        """Enrollments into the agreement, planned on the workspace's aggregates."""
        return _Plan(ws.agreement(agreement_id), workers=ws.workers,
                     released=ws.released_in(agreement_id))

    def plan_enrollment(self, ws: Workspace, ctx: Context, plan: _Plan,
                        request: EnrollmentRequest, on: date) -> RowResult:
        """One row of `enroll_workers` on the workspace: the worker is enrolled, and its
        quota slot counted in the plan for `take_planned_slots`."""
        result = self._plan_row(ctx, plan, request, ws.terminations, on)
        if result.status == "enrolled":
            ws.register(plan.workers[request.nik])
        return result

    @staticmethod
    def take_planned_slots(ctx: Context, plan: _Plan) -> None:
        """Hold the quota slots of the plan's enrollments, one event per term."""
        for term_number, count in sorted(plan.slots.items()):
            plan.agreement.take_slots(ctx, term_number, count)
        plan.slots.clear()

    @staticmethod
    def _enroll_as_seen_by(ctx: Context, worker: Worker, coverage: Coverage,
                           request: EnrollmentRequest, terminations: Terminations) -> str:
        """Enroll; a refusal resting on records outside the caller's regions says only
        its code (and names the worker refused, for the access records)."""
        try:
            return worker.enroll(ctx, coverage, request.details, terminations)
        except RegistryError as error:
            if worker.visible_in(ctx.regions):
                raise
            raise withheld(error, str(worker.id)) from None

    @staticmethod
    def _coverage(plan: _Plan, request: EnrollmentRequest, on: date) -> Coverage:
        # Rows of a batch mostly ask for the same start and programs: work each out once.
        key = (request.starts_on, tuple(request.programs or ()))
        coverage = plan.coverages.get(key)
        if coverage is None:
            coverage = plan.coverages[key] = plan.agreement.coverage_for(
                request.starts_on, request.programs, on)
        return coverage

    def disenroll_worker(self, ctx: Context, agreement_id: UUID, nik: str, *, ends_on: date,
                         reason_code: str, reason: str | None = None,
                         expected_version: int | None = None) -> tuple[Worker, str, int]:
        """End a worker's coverage under the agreement and free the quota slot.

        Returns the worker, the enrollment ended and the log position.
        """
        ctx = ctx.because(reason)

        def disenroll(ws: Workspace) -> Callable[[], tuple[Worker, str]]:
            before = self.disenroll_in(ws, ctx, agreement_id, nik, ends_on=ends_on,
                                       reason_code=reason_code, reason=reason,
                                       expected_version=expected_version)
            return lambda: (ws.worker(nik), before.enrollment_id)

        (worker, enrollment_id), position = self.group_commit.run(ctx, disenroll)
        return worker, enrollment_id, position

    def disenroll_in(self, ws: Workspace, ctx: Context, agreement_id: UUID, nik: str, *,
                     ends_on: date, reason_code: str, reason: str | None = None,
                     expected_version: int | None = None) -> Enrollment:
        """`disenroll_worker` on the workspace's aggregates; the enrollment as it was."""
        agreement = ws.agreement(agreement_id)
        worker = ws.enrolled_worker(nik, agreement_id, expected_version)
        before = worker.disenroll(ctx, agreement_id, ends_on=ends_on,
                                  reason_code=reason_code, reason=reason)
        ws.release_slot(ctx, agreement, before.term_number)
        if reason_code == "DECEASED":
            self._end_after_death(ctx, worker, ends_on, before, ws)
        return before

    def _end_after_death(self, ctx: Context, worker: Worker, died_on: date,
                         recorded_under: Enrollment, ws: Workspace) -> None:
        """No agreement pays for the dead: end every other coverage on the day of death."""
        why = (f"deceased on {died_on}, as recorded under agreement "
               f"{recorded_under.agreement_number}")
        for other in worker.outlived_enrollments(died_on):
            if other.starts_on > died_on:
                worker.void_enrollment(ctx, other.enrollment_id,
                                       f"{why}, before this coverage began")
            elif other.status == "active":
                worker.end(ctx, other.enrollment_id, ends_on=died_on,
                           reason_code="DECEASED", reason=why)
            else:
                worker.cut_at_death(ctx, other.enrollment_id, died_on, why)
            if other.status != "active":
                continue  # its quota slot was freed when it ended
            ws.release_slot(ctx, ws.agreement(other.agreement_id), other.term_number)

    def void_enrollment(self, ctx: Context, agreement_id: UUID, nik: str, reason: str,
                        expected_version: int | None = None) -> tuple[Worker, str, int]:
        """Erase an enrollment recorded in error; it stays in the history.

        Returns the worker, the enrollment voided and the log position.
        """
        ctx = ctx.because(reason)

        def void(ws: Workspace) -> Callable[[], tuple[Worker, str]]:
            before = self.void_in(ws, ctx, agreement_id, nik, reason, expected_version)
            return lambda: (ws.worker(nik), before.enrollment_id)

        (worker, enrollment_id), position = self.group_commit.run(ctx, void)
        return worker, enrollment_id, position

    def void_in(self, ws: Workspace, ctx: Context, agreement_id: UUID, nik: str, reason: str,
                expected_version: int | None = None) -> Enrollment:
        """`void_enrollment` on the workspace's aggregates; the enrollment as it was."""
        agreement = ws.agreement(agreement_id)
        worker = ws.enrolled_worker(nik, agreement_id, expected_version)
        before = worker.void(ctx, agreement_id, reason)
        if before.status == "active":  # else its slot was freed when it ended
            ws.release_slot(ctx, agreement, before.term_number)
        return before

    def correct_worker(self, ctx: Context, nik: str, reason: str,
                       expected_version: int | None = None,
                       **changes: Any) -> tuple[Worker, int]:
        """Correct a worker's details (never the NIK); the correction is an event."""

        def correct(ws: Workspace) -> Callable[[], Worker]:
            self.correct_in(ws, ctx, nik, reason, expected_version, **changes)
            return lambda: ws.worker(nik)

        worker: Worker
        worker, position = self.group_commit.run(ctx, correct)
        return worker, position

    @staticmethod
    def correct_in(ws: Workspace, ctx: Context, nik: str, reason: str,
                   expected_version: int | None = None, **changes: Any) -> None:
        """`correct_worker` on the workspace's aggregates."""
        worker = ws.worker(nik)
        require_version(worker, expected_version, "worker")
        worker.correct(ctx, reason, **changes)

    def set_coverage_target(self, ctx: Context, region_code: str, year: int, workforce: int,
                            target_percent: float,
                            expected_version: int | None = None) -> tuple[Region, int]:
        """Set a region's UCJ target for a year (replacing an earlier one)."""

        def attempt() -> tuple[list[Aggregate], Region]:
            try:
                region = self.aggregates.get(Region.create_id(region_code))
            except AggregateNotFoundError:
                region = Region.register(ctx, region_code)
            require_version(region, expected_version, "region's target list")
            region.set_target(ctx, year, workforce, target_percent)
            return [region], region

        return self.write(attempt, ctx)

    # Reads of one stream.

    def get_worker(self, nik: str) -> Worker:
        try:
            worker = self.aggregates.get(self.worker_id(nik))
        except AggregateNotFoundError:
            raise NotFound(f"no worker with NIK {niks.mask(nik)}") from None
        return worker

    def _existing_workers(self, nik_set: set[str],
                          new_ids: dict[str, UUID] | None = None) -> dict[str, Worker]:
        """The workers already registered; most of a big batch usually is not. `new_ids`
        is given the stream ids of the others: where each is registered."""
        ids = {worker_id: nik for nik, worker_id in self.worker_ids(nik_set).items()}
        existing = load_streams(self, list(ids))
        if new_ids is not None:
            # A stream that is not yet is at the NIK's new id (`worker_ids`).
            new_ids.update((nik, worker_id) for worker_id, nik in ids.items()
                           if worker_id not in existing)
        return {ids[worker_id]: worker for worker_id, worker in existing.items()}

    def _terminations(self, workers: Iterable[Worker]) -> Terminations:
        """When each agreement the workers are enrolled under was terminated, if ever."""
        ids = {e.agreement_id for w in workers for e in w.live_enrollments()}
        return {i: self._get(i).terminated_on for i in ids}
