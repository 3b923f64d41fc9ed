"""What integration tests read back: terms as the aggregate holds them, coverage and
billable workers as the read models answer, every row of every read model."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from projections import coverage_queries
from projections.runner import all_projections


def held(registry: Any, agreement_id: UUID, term: int = 1) -> int:
    """How many workers the agreement's term holds, as the aggregate counts them."""
    return registry.app.get_agreement(agreement_id).terms[term - 1].enrolled


def coverages(registry: Any, number: str, on: date) -> list[dict[str, Any]]:
    """The worker's coverages on the day, from the coverage read model (caught up)."""
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        found = coverage_queries.worker(cur, str(registry.app.worker_id(number)), on, None)
    assert found is not None
    return found["coverages"]


def statuses(registry: Any, number: str, on: date) -> list[str]:
    return [c["status"] for c in coverages(registry, number, on)]


def billable(registry: Any, agreement_id: UUID, first: date, last: date) -> int:
    """Workers billable under the agreement between the days, from the read model."""
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        return coverage_queries.billable_workers(cur, str(agreement_id), first, last)


def event_types(registry: Any, number: str) -> list[str]:
    """The class names of the worker's events, in order."""
    return [type(e).__name__ for e in registry.app.events.get(registry.app.worker_id(number))]


def rows(registry: Any) -> dict[str, list[str]]:
    """Every row of every read model, in a stable order."""
    with registry.store.transaction() as cur:
        return {table: sorted(map(repr, cur.execute(f"SELECT * FROM {table}").fetchall()))
                for projection in all_projections() for table in projection.table_names}
