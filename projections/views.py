"""The read side: one function per read the API serves.

Each read brings the read models up to the head of the log first, so that it
sees every write committed before it began, then runs its queries in one
transaction, and raises NotFound for what is not there or not visible in the
scopes it is given. A view parses, authorises, calls one of these and answers;
it never opens a transaction or catches a read model up itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from projections import (
    agreement_page_queries,
    coverage_queries,
    history_queries,
    ledger_views,
    reveal,
)
from projections.agreements import list_agreements
from projections.runner import ProjectionRunner
from registry.domain import nik as niks
from registry.domain import programs
from registry.domain.contributions import contributions as owed
from registry.domain.contributions import months
from registry.domain.dates import recorded_between, today
from registry.domain.errors import NotFound
from registry.domain.ledger import LAPSED
from registry.domain.region import Region
from registry.domain.term import Term
from registry.store.db import Cursor

T = TypeVar("T")
Page = tuple[list[dict[str, Any]], int | None]  # items, and the cursor of the next page


_read = reveal.read


def _pseudonym(runner: ProjectionRunner, nik: str) -> str:
    """What the read models know the worker with this NIK by."""
    return str(runner.app.worker_id(nik))


# Agreements.

def agreements(runner: ProjectionRunner, *, on: date, scopes: list[str] | None,
               **filters: Any) -> Page:
    """A page of agreement documents in signing order (filters: `list_agreements`)."""
    return _read(runner, lambda cur: list_agreements(cur, on=on, scopes=scopes, **filters))


def contributions(runner: ProjectionRunner, agreement_id: UUID, terms: list[Term],
                  first: tuple[int, int], last: tuple[int, int],
                  known_at: datetime | None = None) -> dict[str, Any]:
    """What the agreement, with these `terms`, owes each month from `first` to `last`
    (year, month), for the workers covered as recorded by `known_at`."""

    def query(cur: Cursor) -> dict[str, Any]:
        return owed(terms, first, last, lambda start, end: coverage_queries.billable_workers(
            cur, str(agreement_id), start, end, known_at))

    return _read(runner, query)


# Enrollments and workers.

def enrollments(runner: ProjectionRunner, agreement_id: UUID, *, on: date, status: str | None,
                after: int, limit: int, known_at: datetime | None = None) -> Page:
    """A page of the agreement's enrollments, each with its status on `on`."""
    return _read(runner, lambda cur: coverage_queries.agreement_enrollments(
        cur, str(agreement_id), on=on, status=status, after=after, limit=limit,
        known_at=known_at))


def enrollment(runner: ProjectionRunner, agreement_id: UUID, nik: str, *, on: date,
               known_at: datetime | None = None) -> dict[str, Any]:
    """The worker's latest enrollment under the agreement, preferring one not voided."""
    key = _pseudonym(runner, nik)
    found = _read(runner, lambda cur: coverage_queries.enrollment(
        cur, str(agreement_id), key, on, known_at))
    if found is None:
        raise NotFound(f"no enrollment of that NIK under agreement {agreement_id}")
    return found


def worker(runner: ProjectionRunner, nik: str, *, on: date, scopes: list[str] | None,
           known_at: datetime | None = None) -> dict[str, Any]:
    """The worker's details and every coverage visible in `scopes`, each with its
    status on `on`; as recorded by `known_at`, if given."""
    key = _pseudonym(runner, nik)
    found = _read(runner, lambda cur: coverage_queries.worker(cur, key, on, scopes, known_at),
                  {key: nik})
    return _as_recorded(runner, nik, key, found, known_at)


def _as_recorded(runner: ProjectionRunner, nik: str, key: str, found: dict[str, Any] | None,
                 known_at: datetime | None) -> dict[str, Any]:
    """The worker read, with its own details as recorded by `known_at` (if given), from
    the worker's stream; NotFound if there is none."""
    if found is None:
        raise NotFound(f"no worker with NIK {niks.mask(nik)}")
    if known_at is not None:
        then = runner.app.as_recorded(UUID(key), known_at)
        if then is None:
            raise NotFound(f"no worker with NIK {niks.mask(nik)} was recorded by then")
        found.update(
            name=then.name, occupation=then.occupation, sex=then.sex, address=then.address,
            birth_date=then.birth_date.isoformat() if then.birth_date else None,
            deceased_on=then.deceased_on.isoformat() if then.deceased_on else None)
    return found


def require_visible_worker(runner: ProjectionRunner, nik: str,
                           scopes: list[str] | None) -> None:
    """NotFound unless a token scoped to `scopes` may read the worker."""
    key = _pseudonym(runner, nik)
    if not _read(runner, lambda cur: coverage_queries.visible_in(cur, key, scopes)):
        raise NotFound(f"no worker with NIK {niks.mask(nik)}")


def coverage(runner: ProjectionRunner, nik: str, *, on: date, scopes: list[str] | None,
             known_at: datetime | None = None) -> dict[str, Any]:
    """Whether the worker was covered on `on`, for which programs, by which enrollments.
    A worker not visible in `scopes` (or not recorded by `known_at`) is `known: false`
    and not covered: this never says more."""
    key = _pseudonym(runner, nik)
    policy = runner.app.ledger_policy

    def query(cur: Cursor) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        # The worker and its agreements' ledgers in one read: the answer's busiest path.
        found = coverage_queries.worker(cur, key, on, scopes, known_at)
        if found is not None:  # its details are not shown: not opened either
            found = {"coverages": found["coverages"]}
        ids = [c["agreement_id"] for c in (found or {}).get("coverages", ())
               if c["status"] == "active"]
        return found, (ledger_views.standings(cur, policy, ids, on, known_at) if ids else {})

    read, standing = _read(runner, query, {key: nik})
    try:
        found, known = _as_recorded(runner, nik, key, read, known_at), True
    except NotFound:
        found, known = {"coverages": []}, False
    active = [c for c in found["coverages"] if c["status"] == "active"]
    # Contributions: a coverage whose agreement's ledger has lapsed stays listed, covering nothing.
    active = ledger_views.standing_of(active, standing)
    covering = [c for c in active if c["standing"] != LAPSED]
    return {"known": known, "covered": bool(covering),
            "programs": programs.normalised([p for c in covering for p in c["programs"]]),
            "coverages": active}


# Regions.

def region_coverage(runner: ProjectionRunner, scope: str, *, on: date,
                    known_at: datetime | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Distinct workers covered on `on` in the region (a province covers its
    regencies), by program and agreement; and the region's target for that year
    (`workforce`, `target_percent`), if one was set by `known_at`."""
    covered = _read(runner, lambda cur: coverage_queries.region_coverage(
        cur, scope, on, known_at, ledger_views.lapsed_in(
            cur, runner.app.ledger_policy, scope, on, known_at)))
    return covered, runner.app.region_target(scope, on.year, known_at)


# The audit trail: positions from the history read model, bodies from the log.

def agreement_history(runner: ProjectionRunner, agreement_id: UUID, *, after: int,
                      limit: int) -> Page:
    """The agreement's events and every event about it, in log order."""
    return _read(runner, lambda cur: history_queries.agreement_history(
        cur, runner.reader, str(agreement_id), after, limit))


def worker_history(runner: ProjectionRunner, nik: str, *, scopes: list[str] | None,
                   after: int, limit: int) -> Page:
    """The worker's events visible in `scopes`, in log order; NotFound for a worker
    the scopes may not read."""

    key = _pseudonym(runner, nik)

    def query(cur: Cursor) -> Page:
        if coverage_queries.worker(cur, key, today(), scopes) is None:
            raise NotFound(f"no worker with NIK {niks.mask(nik)}")
        return history_queries.worker_history(cur, runner.reader, key, scopes, after, limit)

    return _read(runner, query)


def global_log(runner: ProjectionRunner, *, scopes: list[str] | None, after: int,
               limit: int) -> Page:
    """The log in position order, only what `scopes` may see."""
    return _read(runner, lambda cur: history_queries.global_log(
        cur, runner.reader, scopes, after, limit))


def backdated(runner: ProjectionRunner, *, min_days: int, scopes: list[str] | None,
              before: int | None, limit: int, agreement_id: UUID | None = None,
              actor: str | None = None, recorded_from: date | None = None,
              recorded_to: date | None = None) -> Page:
    """Events recorded more than `min_days` after their effective date, newest first;
    only those about the agreement, by the actor, recorded on the business days
    `recorded_from` to `recorded_to`, where given."""
    first, after_last = recorded_between(recorded_from, recorded_to)
    return _read(runner, lambda cur: history_queries.backdated(
        cur, runner.reader, min_days, scopes, before, limit,
        agreement_id=str(agreement_id) if agreement_id else None, actor=actor,
        recorded_from=first, recorded_before=after_last))


# Worker and check pages.

def agreement_events(runner: ProjectionRunner, agreement_ids: list[str], *,
                     limit: int = 50) -> list[dict[str, Any]]:
    """The own events of each agreement (not the enrollments about it), in log order."""

    def query(cur: Cursor) -> list[dict[str, Any]]:
        found = [e for agreement_id in agreement_ids
                 for e in history_queries.agreement_events(cur, runner.reader, agreement_id,
                                                           limit)]
        return sorted(found, key=lambda e: e["position"])

    return _read(runner, query)


# Agreement and region pages.

def find_agreements(runner: ProjectionRunner, *, on: date, scopes: list[str] | None,
                    number: str | None, **filters: Any) -> Page:
    """`agreements`, and with `number`, only those whose number contains it."""
    return _read(runner, lambda cur: agreement_page_queries.find_agreements(
        cur, on=on, scopes=scopes, number=number, **filters))


def agreement_history_page(runner: ProjectionRunner, agreement_id: UUID, *, after: int,
                           limit: int) -> Page:
    """`agreement_history`, each event with the NIK of the worker it is about (`nik`,
    None for the agreement's own events), so that a page can link to the worker."""

    def query(cur: Cursor) -> Page:
        events, next_after = history_queries.agreement_history(
            cur, runner.reader, str(agreement_id), after, limit)
        niks = agreement_page_queries.niks_at(cur, [e["position"] for e in events])
        return [{**e, "nik": niks.get(e["position"])} for e in events], next_after

    return _read(runner, query)


def monthly_contributions(runner: ProjectionRunner, agreement_id: UUID, terms: list[Term],
                          first: tuple[int, int], last: tuple[int, int]) -> dict[str, Any]:
    """`contributions` as recorded now, its months' workers counted in one scan."""
    periods = months(first, last)

    def query(cur: Cursor) -> dict[str, Any]:
        counts = dict(zip(periods, agreement_page_queries.workers_per_period(
            cur, str(agreement_id), periods), strict=True))
        return owed(terms, first, last, lambda start, end: counts[(start, end)])

    return _read(runner, query)


def regions_overview(runner: ProjectionRunner, *, scopes: list[str] | None,
                     on: date) -> list[dict[str, Any]]:
    """Each region an agreement in `scopes` is signed for: its name, the distinct
    workers covered there on `on` (a province counts its regencies), and its target
    for that year (`workforce`, `target_percent`), if one is set."""

    def query(cur: Cursor) -> list[dict[str, Any]]:
        regions = agreement_page_queries.regions_with_agreements(cur, scopes)
        lapsed = ledger_views.lapsed_on(cur, runner.app.ledger_policy, scopes, [on])[on]
        covered = agreement_page_queries.covered_in_regions(
            cur, [r["region_code"] for r in regions], on, lapsed)
        return [{**r, "covered_workers": n} for r, n in zip(regions, covered, strict=True)]

    return [{**row, "target": runner.app.region_target(row["region_code"], on.year)}
            for row in _read(runner, query)]


def region_years(runner: ProjectionRunner, scope: str, today: date
                 ) -> tuple[str | None, dict[str, dict[str, Any]], dict[int, int]]:
    """The region's name (as an agreement signed for it gives it), every target set
    for it by year, and the distinct workers covered there (a province counts its
    regencies) on the last day of each year before `today`'s that has a target
    (`region_coverage` counts this year's)."""
    try:
        targets = dict(runner.app.aggregates.get(Region.create_id(scope)).targets)
    except AggregateNotFoundError:
        targets = {}
    days = {int(y): date(int(y), 12, 31) for y in targets if int(y) < today.year}

    def query(cur: Cursor) -> tuple[str | None, dict[int, int]]:
        lapsed = ledger_views.lapsed_on(cur, runner.app.ledger_policy, [scope],
                                        list(days.values()))
        counts = agreement_page_queries.covered_on_days(cur, scope, list(days.values()),
                                                        lapsed) if days else []
        return (agreement_page_queries.region_name(cur, scope),
                dict(zip(days, counts, strict=True)))

    name, covered = _read(runner, query)
    return name, targets, covered


def recent_events(runner: ProjectionRunner, *, scopes: list[str] | None,
                  limit: int) -> list[dict[str, Any]]:
    """The newest `limit` events `scopes` may see, newest first, as `global_log` gives
    them, each with the NIK of the worker it is about (`nik`)."""

    def query(cur: Cursor) -> list[dict[str, Any]]:
        positions = agreement_page_queries.newest_positions(cur, scopes, limit)
        if not positions:
            return []
        events, _ = history_queries.global_log(cur, runner.reader, scopes,
                                               min(positions) - 1, len(positions))
        niks = agreement_page_queries.niks_at(cur, positions)
        return [{**e, "nik": niks.get(e["position"])} for e in reversed(events)]

    return _read(runner, query)


def log_status(runner: ProjectionRunner) -> dict[str, Any]:
    """How many events the log holds, and its newest kept signed checkpoint (tree
    size, root, when it was signed, how many witnesses cosigned it), if any: what
    is cheap to show. Verifying the chain is the integrity page's work."""
    return {"events": runner.app.head_position(),
            "checkpoint": _read(runner, agreement_page_queries.newest_checkpoint)}


# Audit pages.

def checkpoints(runner: ProjectionRunner) -> dict[str, Any]:
    """The newest signed checkpoint kept, with its cosignatures; the newest cosigned
    one if that is another; and the witnesses' verifier keys (`audit_queries`).

    Not read models (the log's own tables, written as checkpoints are signed):
    nothing to catch up, so one read, as of now.
    """
    # Imported here, so that this block is all the file gains (others append theirs).
    from projections import audit_queries

    with runner.store.transaction() as cur:
        return audit_queries.checkpoints(cur)
