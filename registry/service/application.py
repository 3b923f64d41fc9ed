"""The application service: the only way to change the registry's state.

Each use case is get -> command -> save, where one `save()` writes every
aggregate it touched in one transaction with optimistic concurrency. A save
that loses a race is retried from the start, holding a reservation on the
agreements it lost (registry/store/reservations.py) so that it cannot lose again to
writers of those, a few times, then refused with `concurrent_update`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, AggregateEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper

from registry.config import Database
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import EnrollmentAsDict
from registry.domain.errors import (
    ConcurrentUpdate,
    DuplicateAgreementNumber,
    NotFound,
    require_version,
)
from registry.domain.ledger import Policy
from registry.domain.parents import visible_parent
from registry.domain.region import Region
from registry.domain.term import DateAsISO, TermAsDict
from registry.domain.token import ApiToken
from registry.domain.worker import Worker
from registry.service.cache import AggregateCache
from registry.service.enrollments import EnrollmentUseCases
from registry.service.saving import PlainSave
from registry.service.streams import load_streams
from registry.store import reservations
from registry.store.keyring import Keyring
from registry.store.sealed_mapper import SealingMapper

SAVE_ATTEMPTS = 12
T = TypeVar("T")
Attempt = Callable[[], tuple[list[Aggregate], T]]


def _agreement_ids(aggregates: list[Aggregate]) -> set[UUID]:
    return {a.id for a in aggregates if isinstance(a, Agreement)}


class _Conflict(Exception):
    """A read model and the aggregates disagreed mid-command: start again."""


@dataclass(frozen=True)
class Written:
    """What a write produced: the agreement as saved and the log position."""

    agreement: Agreement
    position: int


class Roster(Protocol):
    """Who holds a slot in a term: read from a read model brought up to date."""

    def active_in_term(self, agreement_id: UUID, term_number: int) -> list[tuple[str, str]]:
        """(worker id, enrollment_id) of every enrollment holding a slot in the term."""


class RegistryApplication(EnrollmentUseCases, PlainSave, Application):
    """Signs, amends, renews and terminates agreements; enrolls workers."""

    name = "registry"
    # No snapshots of workers: a snapshot holds the worker's details as one
    # document, which sealing field by field would not cover (their streams are short).
    snapshotting_intervals = {Agreement: 200}
    # The contributions ledger's policy; the composition root sets it from the settings.
    ledger_policy = Policy()

    def __init__(self, database: Database, roster: Roster | None = None,
                 create_tables: bool = True, connect_timeout: int = 10) -> None:
        self.database = database
        self.roster = roster
        super().__init__(env=database.eventsourcing_env(create_tables, connect_timeout))
        self.aggregates = AggregateCache(self)
        self.reservations = reservations.for_database(database)

    def close(self) -> None:
        self.reservations.close()
        super().close()

    # Personal fields are sealed once `use_keyring` is called (the composition root does).
    keyring: Keyring | None = None

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(),
                                   mapper_class=SealingMapper)

    def use_keyring(self, keyring: Keyring) -> None:
        """Seal workers' personal fields under their data keys from now on."""
        self.keyring = keyring
        cast(SealingMapper, self.mapper).keyring = keyring
        cast(Any, self.recorder).keyring = keyring

    def worker_id(self, nik: str) -> UUID:
        """The stream id of the worker with this NIK, whether or not it exists yet."""
        return self.worker_ids([nik])[nik]

    def new_worker_id(self, nik: str) -> UUID:
        """The stream id a worker registered now gets: from the NIK's blind index."""
        return self.keyring.worker_id(nik) if self.keyring else Worker.create_id(nik)

    def worker_ids(self, niks: Iterable[str]) -> dict[str, UUID]:
        """Each NIK's stream id: pseudonymous (the blind index) unless its worker was
        registered, under uuid5 of the NIK, before sealing began."""
        wanted = list(dict.fromkeys(niks))
        if self.keyring is None:
            return {nik: self.new_worker_id(nik) for nik in wanted}
        ids = {nik: self.keyring.candidate_ids(nik) for nik in wanted}
        legacy = {found[1]: nik for nik, found in ids.items() if len(found) > 1}
        old = self.recorder.existing_originators(list(legacy)) if legacy else set()
        return {nik: found[1] if len(found) > 1 and found[1] in old else found[0]
                for nik, found in ids.items()}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(TermAsDict())
        transcoder.register(EnrollmentAsDict())

    # Writes.

    def sign_agreement(
        self, ctx: Context, *, parent_id: UUID | None = None, **fields: Any
    ) -> Written:
        """Sign an MOU or a PKS (under `parent_id`, an MOU, if given)."""

        def attempt() -> tuple[list[Aggregate], Agreement]:
            parent = self._parent(ctx, parent_id)
            number = str(fields.get("agreement_number", ""))
            if self._exists(Agreement.create_id(number)):
                raise DuplicateAgreementNumber(
                    f"an agreement numbered {number.strip()!r} already exists",
                    {"agreement_number": "already used by another agreement"})
            agreement = Agreement.sign(ctx, parent=parent, **fields)
            if parent is None:
                return [agreement], agreement
            parent.allocate_to_child(ctx, agreement, agreement.current_quota() or 0)
            return [agreement, parent], agreement

        return self._written(attempt, ctx)

    def amend_agreement(
        self, ctx: Context, agreement_id: UUID, *, expected_version: int | None = None,
        **changes: Any,
    ) -> Written:
        """Change the term in force on `effective_on` (with a reason)."""
        ctx = ctx.because(changes.get("reason"))

        def amend(agreement: Agreement) -> list[Aggregate]:
            agreement.amend(ctx, **changes)
            return []

        return self._change(ctx, agreement_id, expected_version, amend)

    def renew_agreement(
        self, ctx: Context, agreement_id: UUID, *, expected_version: int | None = None,
        **terms: Any,
    ) -> Written:
        """Add a term after the last one; with `carry_over` enrolled workers continue."""
        ctx = ctx.because(terms.get("reason"))

        def renew(agreement: Agreement) -> list[Aggregate]:
            continuing = self._continuing(agreement, terms)
            agreement.renew(ctx, **terms, carried=len(continuing))
            term = agreement.terms[-1]
            terminations = self._terminations([w for w, _ in continuing])
            for worker, enrollment_id in continuing:
                worker.carry_over(ctx, enrollment_id, len(agreement.terms), term.starts_on,
                                  term.ends_on, terminations)
            return [worker for worker, _ in continuing]

        return self._change(ctx, agreement_id, expected_version, renew)

    def terminate_agreement(
        self, ctx: Context, agreement_id: UUID, *, expected_version: int | None = None,
        ends_on: date, reason: str,
    ) -> Written:
        """End an agreement early; an MOU's allocation to it is released."""
        ctx = ctx.because(reason)

        def terminate(agreement: Agreement) -> list[Aggregate]:
            agreement.terminate(ctx, ends_on=ends_on, reason=reason)
            return []

        return self._change(ctx, agreement_id, expected_version, terminate)

    # API tokens: their table (registry/store/tokens.py) is the lookup; the log, the record.

    def issue_token(self, ctx: Context, **fields: Any) -> int:
        """Record that a token was issued (`ApiToken.issue`); the position of the event."""
        recordings = self.save(ApiToken.issue(ctx, **fields))
        return recordings[-1].notification.id

    def revoke_token(self, ctx: Context, token_hash: str, reason: str | None = None) -> bool:
        """Record that a token was revoked; False if it never was issued or is revoked."""
        token = self.get_token(token_hash)
        if token is None or token.revoked:
            return False
        token.revoke(ctx, reason)
        try:
            self.save(token)
        except IntegrityError:
            return False  # revoked meanwhile, by another process
        return True

    def get_token(self, token_hash: str) -> ApiToken | None:
        """The token as its stream has it; None if no token with this hash was issued."""
        try:
            token: Aggregate = self.repository.get(ApiToken.create_id(token_hash))
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, ApiToken) else None

    # Reads of one stream (lists come from projections).

    def get_agreement(
        self, agreement_id: UUID, *, version: int | None = None,
        known_at: datetime | None = None,
    ) -> Agreement:
        """The agreement as it is, as of `version`, or as recorded by `known_at`."""
        if known_at is None:
            agreement = self._get(agreement_id, version)
        else:
            recorded = self.as_recorded(agreement_id, known_at, version)
            if not isinstance(recorded, Agreement):
                raise NotFound(f"agreement {agreement_id} was not recorded by {known_at}")
            agreement = recorded
        if version is not None and agreement.version != version:
            raise NotFound(f"agreement {agreement_id} has no version {version}")
        return agreement

    def as_recorded(self, aggregate_id: UUID, known_at: datetime,
                    version: int | None = None) -> Aggregate | None:
        """The aggregate from the events recorded at or before `known_at` (None: none)."""
        # The library types a store's events by its protocol; the registry's are AggregateEvents.
        stream = cast("Iterable[AggregateEvent]", self.events.get(aggregate_id, lte=version))
        events = [e for e in stream if e.timestamp <= known_at]
        return reduce(lambda a, e: e.mutate(a), events, None)

    def region_target(self, region_code: str, year: int,
                      known_at: datetime | None = None) -> dict[str, Any] | None:
        """The region's coverage target for the year, as recorded by `known_at`."""
        region_id = Region.create_id(region_code)
        if known_at is None:
            try:
                region = self.aggregates.get(region_id)
            except AggregateNotFoundError:
                return None
        else:
            region = self.as_recorded(region_id, known_at)
        return region.targets.get(str(year)) if region is not None else None

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # Plumbing.

    def _change(
        self, ctx: Context, agreement_id: UUID, expected_version: int | None,
        command: Callable[[Agreement], list[Aggregate]],
    ) -> Written:
        """Run a command on one agreement (and whatever else it touches)."""

        def attempt() -> tuple[list[Aggregate], Agreement]:
            agreement = self.agreement_for_write(agreement_id, expected_version)
            others = command(agreement)
            return [agreement, *self._reallocate(ctx, agreement), *others], agreement

        return self._written(attempt, ctx)

    def agreement_for_write(self, agreement_id: UUID, expected_version: int | None) -> Agreement:
        agreement = self._get(agreement_id)
        require_version(agreement, expected_version, "agreement")
        return agreement

    def _continuing(self, agreement: Agreement,
                    terms: dict[str, Any]) -> list[tuple[Worker, str]]:
        """The last term's workers a renewal carries over: not the dead, not the
        ones another agreement covers for the same programs in the new term."""
        last = agreement.terms[-1]
        if not terms.get("carry_over", True) or not last.enrolled:
            return []
        starts_on = agreement.next_term_start(terms.get("starts_on"))
        assert self.roster is not None, "carry-over needs a roster"
        holders = self.roster.active_in_term(agreement.id, len(agreement.terms))
        if len(holders) != last.enrolled:
            raise _Conflict  # the read model lags a write the agreement has seen
        loaded = load_streams(self, [UUID(worker_id) for worker_id, _ in holders])
        terminations = self._terminations(loaded.values())
        return [(loaded[UUID(w)], e) for w, e in holders
                if loaded[UUID(w)].can_continue(e, starts_on, terms["ends_on"], terminations)]

    def _reallocate(self, ctx: Context, child: Agreement) -> list[Agreement]:
        """Keep a parent MOU's record of the quota its PKS takes up to date."""
        if child.parent_id is None:
            return []
        parent = self._get(child.parent_id)
        quota = 0 if child.terminated_on is not None else (child.current_quota() or 0)
        if parent.child_quotas.get(str(child.id)) == quota:
            return []
        parent.allocate_to_child(ctx, child, quota)
        return [parent]

    def _written(self, attempt: Attempt[Agreement], ctx: Context) -> Written:
        agreement, position = self.write(attempt, ctx)
        return Written(agreement, position)

    def write(self, attempt: Attempt[T], ctx: Context | None = None, *,
              reserve: Collection[UUID] = (), erase_keys: bool = False) -> tuple[T, int]:
        """Run get -> command -> save, again from the start if another writer won.

        A writer that loses a race reserves the agreements it was saving, so
        that its next attempt runs with no one else able to change them, and
        wins (registry/store/reservations.py). `reserve` takes that reservation from
        the first attempt, for a write too long to win a race (a big batch).

        Returns the attempt's value and the position of the last event saved
        (the head of the log if the attempt saved nothing). The save also marks
        `ctx`'s Idempotency-Key applied, in the events' transaction. With `erase_keys`,
        the same transaction destroys the data keys of the workers saved.
        """
        reserved = set(reserve)
        for attempt_number in range(SAVE_ATTEMPTS):
            aggregates: list[Aggregate] = []
            try:
                with self.reservations.hold(reserved):
                    aggregates, value = attempt()
                    if not aggregates:
                        return value, self.head_position()
                    with self.reservations.saving(_agreement_ids(aggregates) - reserved):
                        options = ctx.save_options() if ctx else {}
                        if erase_keys:
                            options["erase_keys"] = [a.id for a in aggregates
                                                     if isinstance(a, Worker)]
                        recordings = self.save(*aggregates, **options)
            except (IntegrityError, _Conflict):
                # Another writer got there first: reserve what we lost, re-read, retry.
                lost = _agreement_ids(aggregates) - reserved
                reserved |= lost
                if not lost:  # nothing more to reserve: back off a little instead
                    time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt_number, 6)))  # noqa: S311
                continue
            return value, recordings[-1].notification.id
        raise ConcurrentUpdate(
            f"the records kept changing under concurrent writes; "
            f"gave up after {SAVE_ATTEMPTS} attempts, try again")

    def agreement_region(self, agreement_id: UUID) -> str:
        """The agreement's region, which it keeps for life: read from this process's
        cache without copying it or asking the log for newer events (a write loads
        the agreement as it is now anyway, to change it)."""
        try:
            agreement = self.aggregates.peek(agreement_id)
        except AggregateNotFoundError:
            raise NotFound(f"no agreement {agreement_id}") from None
        if not isinstance(agreement, Agreement):
            raise NotFound(f"no agreement {agreement_id}")
        return agreement.region_code

    def _get(self, agreement_id: UUID, version: int | None = None) -> Agreement:
        try:
            agreement = (self.aggregates.get(agreement_id) if version is None
                         else self.repository.get(agreement_id, version=version))
        except AggregateNotFoundError:
            raise NotFound(f"no agreement {agreement_id}") from None
        if not isinstance(agreement, Agreement):
            raise NotFound(f"no agreement {agreement_id}")
        return agreement

    def _exists(self, aggregate_id: UUID) -> bool:
        return next(iter(self.events.get(aggregate_id, limit=1)), None) is not None

    def _parent(self, ctx: Context, parent_id: UUID | None) -> Agreement | None:
        """The agreement named as parent; one the actor may not see is refused as unknown
        (registry/domain/parents.py), before anything else about the signing is."""
        if parent_id is None:
            return None
        try:
            found = self._get(parent_id)
        except NotFound:
            found = None
        return visible_parent(found, ctx.regions)
