"""The aggregates one write works on: each loaded once, as a copy, and kept.

A use case asks the workspace for the agreements and workers it changes; a
second command in the same write (the next row of a corrections file) then
finds them as the first left them, so that the rules see every change made
before it. What it loaded is a copy (registry/service/cache.py): changing it
changes nothing stored until the write saves `changed()`, and a preview
simply never saves. The version each stream had when loaded is kept, so that
a later write can tell whether anything it read has changed since.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Enrollment
from registry.domain.errors import NotFound, require_version
from registry.domain.term import Term
from registry.domain.worker import Worker
from registry.service.streams import load_streams

DETAILS = ("name", "birth_date", "sex", "occupation", "address")


def details_of(worker: Worker) -> dict[str, Any]:
    """The worker's own details: what a correction changes."""
    return {field: getattr(worker, field) for field in DETAILS}


@dataclass(frozen=True)
class Mark:
    pending: dict[UUID, int]
    released: dict[UUID, Counter[int]]


@dataclass(frozen=True)
class Original:
    """A worker's enrollments and details, or an agreement's terms, as loaded."""

    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    terms: tuple[Term, ...] = ()


class Workspace:
    def __init__(self, app: Any, *, defer_slots: bool = False) -> None:
        self.app = app
        # Quota slots freed, kept to be released in one event per term at the end
        # (`release_deferred_slots`): a write of thousands of disenrollments then saves
        # one event on the agreement, not thousands.
        self.defer_slots = defer_slots
        self.released: dict[UUID, Counter[int]] = {}
        self.loaded: dict[UUID, Aggregate] = {}
        self.agreements: dict[UUID, Agreement] = {}  # those of `loaded`, asked for often
        # The version of each stream when first read; None: it had no stream yet.
        self.versions: dict[UUID, int | None] = {}
        self.workers: dict[str, Worker] = {}  # by NIK: loaded, or registered here
        # What each loaded worker and agreement held when loaded, for what a preview
        # shows as `before`: values the aggregates never change in place (an
        # `Enrollment` and a `Term` are frozen), so a shallow copy keeps them.
        self.originals: dict[UUID, Original] = {}
        self.terminations = _Terminations(self)

    # Loading.

    def agreement(self, agreement_id: UUID) -> Agreement:
        found = self.agreements.get(agreement_id)
        if found is None:
            loaded = self._load(agreement_id, f"no agreement {agreement_id}")
            if not isinstance(loaded, Agreement):
                raise NotFound(f"no agreement {agreement_id}")
            found = self.agreements[agreement_id] = loaded
        return found

    def worker(self, nik: str) -> Worker:
        found = self.workers.get(nik)
        if found is None:
            loaded = self._load(self.app.worker_id(nik), f"no worker with NIK {niks.mask(nik)}")
            if not isinstance(loaded, Worker):
                raise NotFound(f"no worker with NIK {niks.mask(nik)}")
            found = self.workers[nik] = loaded
        return found

    def enrolled_worker(self, nik: str, agreement_id: UUID,
                        expected_version: int | None = None) -> Worker:
        """The worker, for a write on its enrollment under the agreement. An unknown
        NIK and a worker never enrolled there are refused alike, so that the answer
        never tells whether a NIK is known elsewhere."""
        try:
            worker = self.worker(nik)
            worker.enrollment_under(agreement_id)
        except NotFound:
            raise NotFound(f"no enrollment of NIK {niks.mask(nik)} under agreement "
                           f"{agreement_id}") from None
        require_version(worker, expected_version, "worker")
        return worker

    def load_workers(self, niks_in_order: Iterable[str]) -> None:
        """Load the workers of these NIKs that have a stream, in this order (their events
        are saved in it); note the others as having none, so that a later write can
        tell if one appeared."""
        wanted = dict.fromkeys(n for n in niks_in_order if n not in self.workers)
        ids = {worker_id: nik for nik, worker_id in self.app.worker_ids(wanted).items()}
        found = load_streams(self.app, list(ids))
        for worker_id, nik in ids.items():
            worker = found.get(worker_id)
            if worker is None:
                self.versions.setdefault(worker_id, None)
                continue
            self._keep(worker)
            self.workers[nik] = worker

    def register(self, worker: Worker) -> None:
        """A worker this write enrolled: one it registered (its first event pending) is
        kept for saving; one loaded earlier is already."""
        if worker.id in self.loaded:
            return
        self.workers[worker.nik] = worker
        self.loaded[worker.id] = worker
        self.versions.setdefault(worker.id, None)

    def _load(self, aggregate_id: UUID, missing: str) -> Aggregate:
        try:
            aggregate: Aggregate = self.app.aggregates.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(missing) from None
        return self._keep(aggregate)

    def _keep(self, aggregate: Aggregate) -> Aggregate:
        aggregate_id = aggregate.id
        self.loaded[aggregate_id] = aggregate
        self.versions.setdefault(aggregate_id, aggregate.version)
        if isinstance(aggregate, Worker):
            self.originals[aggregate_id] = Original(
                enrollments=dict(aggregate.enrollments), details=details_of(aggregate))
        elif isinstance(aggregate, Agreement):
            self.originals[aggregate_id] = Original(terms=tuple(aggregate.terms))
        return aggregate

    # Quota slots.

    def release_slot(self, ctx: Context, agreement: Agreement, term_number: int) -> None:
        """Free the slot an enrollment held: now, or with the others at the end."""
        if not self.defer_slots:
            agreement.release_slots(ctx, term_number)
            return
        self.released_in(agreement.id)[term_number] += 1

    def released_in(self, agreement_id: UUID) -> Counter[int]:
        """The agreement's slots freed and not yet released, by term."""
        return self.released.setdefault(agreement_id, Counter())

    def release_deferred_slots(self, ctx: Context) -> None:
        for agreement_id, counts in self.released.items():
            for term_number, count in sorted(counts.items()):
                if count:
                    self.agreement(agreement_id).release_slots(ctx, term_number, count)
            counts.clear()

    # What the write saves.

    def changed(self) -> list[Aggregate]:
        """Every aggregate with events to save: workers first, as every use case saves them."""
        pending = [a for a in self.loaded.values() if a.pending_events]
        return sorted(pending, key=lambda a: not isinstance(a, Worker))

    def mark(self, ids: Iterable[UUID]) -> Mark:
        """What the aggregates of `ids` hold now (events pending, slots freed): to undo to."""
        ids = list(ids)
        return Mark({i: len(self.loaded[i].pending_events) if i in self.loaded else 0
                     for i in ids},
                    {i: Counter(self.released.get(i, ())) for i in ids})

    def undo_to(self, mark: Mark) -> None:
        """Forget what was done since `mark` to its aggregates: a refused command that
        had already changed one leaves it as it was (the rules check before they
        trigger, so this is a safeguard)."""
        for aggregate_id, freed in mark.released.items():
            if aggregate_id in self.released:
                self.released[aggregate_id].clear()
                self.released[aggregate_id].update(freed)
        for aggregate_id, count in mark.pending.items():
            aggregate = self.loaded.get(aggregate_id)
            if aggregate is None or len(aggregate.pending_events) == count:
                continue
            kept = aggregate.pending_events[:count]
            version = self.versions[aggregate_id]
            again: Any = (None if version is None
                          else self.app.repository.get(aggregate_id, version=version))
            for event in kept:
                again = event.mutate(again)
            if again is None:  # registered by the refused command itself
                del self.loaded[aggregate_id]
                continue
            again.pending_events.extend(kept)
            self.loaded[aggregate_id] = again
            if isinstance(again, Worker):
                self.workers[again.nik] = again
            elif isinstance(again, Agreement):
                self.agreements[aggregate_id] = again


class _Terminations(Mapping[UUID, date | None]):
    """When each agreement was terminated, read from the workspace when first asked:
    the `Terminations` the rules take, for however many agreements the workers have."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace

    def __getitem__(self, agreement_id: UUID) -> date | None:
        try:
            return self._workspace.agreement(agreement_id).terminated_on
        except NotFound:
            raise KeyError(agreement_id) from None

    def get(self, agreement_id: UUID, default: Any = None) -> Any:
        # Asked for every enrollment the rules look at: the lookup itself, not Mapping's.
        found = self._workspace.agreements.get(agreement_id)
        return found.terminated_on if found is not None else super().get(agreement_id, default)

    def __iter__(self) -> Iterator[UUID]:
        return iter(self._workspace.agreements)

    def __len__(self) -> int:
        return len(self._workspace.agreements)
