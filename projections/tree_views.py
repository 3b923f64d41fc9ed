"""The read side of the MoU tree: an MoU's children, what the MoU and its
children owe together, and what a region's agreements owe.

As `projections/views.py`: each read brings the read models up to the head of
the log, then runs its queries in one transaction. The agreements themselves
are read from their streams, so that `known_at` is exact for the children too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from projections import coverage_queries, tree_queries
from projections.runner import ProjectionRunner
from registry.domain.agreement import Agreement
from registry.domain.contributions import combined, contributions, months
from registry.domain.errors import NotFound
from registry.domain.term import Term, standing_on
from registry.store.db import Cursor

Month = tuple[int, int]


def _children(runner: ProjectionRunner, mou: Agreement,
              known_at: datetime | None) -> list[Agreement]:
    """The agreements signed under the MoU, as recorded by `known_at`, in signing order."""
    found = []
    for child_id in mou.child_quotas:
        try:
            found.append(runner.app.get_agreement(UUID(child_id), known_at=known_at))
        except NotFound:  # allocated in the same save as it was signed: never, in practice
            continue
    return found


def children(runner: ProjectionRunner, mou: Agreement, *, on: date,
             known_at: datetime | None = None) -> dict[str, Any]:
    """The MoU's children with the quota and the slots held in their current term on
    `on`; the quota allocated to them, and the workers they hold, in all."""
    rows = []
    for child in _children(runner, mou, known_at):
        standing = standing_on(child.terms, child.terminated_on, on)
        rows.append({"id": str(child.id), "agreement_number": child.agreement_number,
                     "quota": child.terms[standing.current_term - 1].quota,
                     "enrolled": standing.enrolled})
    return {"children": rows, "allocated_quota": mou.allocated_to_children(),
            "enrolled_in_children": sum(row["enrolled"] for row in rows)}


def mou_contributions(runner: ProjectionRunner, mou: Agreement, first: Month, last: Month,
                      known_at: datetime | None = None) -> dict[str, Any]:
    """What the MoU owes for its own workers and its children's, month by month, with
    each child's total (`own_total_idr`: the MoU's own workers')."""
    kids = _children(runner, mou, known_at)

    def query(cur: Cursor) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        def owed(agreement: Agreement) -> dict[str, Any]:
            return contributions(agreement.terms, first, last, lambda start, end: (
                coverage_queries.billable_workers(cur, str(agreement.id), start, end,
                                                  known_at)))

        return owed(mou), [owed(child) for child in kids]

    own, theirs = runner.read(query)
    return {**combined([own, *theirs], first, last), "own_total_idr": own["total_idr"],
            "children": [{"agreement_id": str(child.id),
                          "agreement_number": child.agreement_number,
                          "total_idr": part["total_idr"]}
                         for child, part in zip(kids, theirs, strict=True)]}


def region_contributions(runner: ProjectionRunner, scope: str, first: Month,
                         last: Month) -> dict[str, Any]:
    """What the agreements signed for the region (a province: its regencies' too) owe,
    month by month, with each agreement's total (those that owe anything)."""
    def query(cur: Cursor) -> tuple[list[dict[str, Any]], dict[Any, dict[str, int]]]:
        docs = tree_queries.region_agreements(cur, scope)
        return docs, {period: tree_queries.billable_by_agreement(cur, scope, *period)
                      for period in months(first, last)} if docs else {}

    docs, counts = runner.read(query)

    def owed(doc: dict[str, Any]) -> dict[str, Any]:
        return contributions([Term.from_document(t) for t in doc["terms"]], first, last,
                             lambda start, end: counts[(start, end)].get(doc["id"], 0))

    parts = [(doc, owed(doc)) for doc in docs]
    return {**combined([part for _, part in parts], first, last),
            "agreements": [{"agreement_id": doc["id"],
                            "agreement_number": doc["agreement_number"],
                            "total_idr": part["total_idr"]}
                           for doc, part in parts if part["total_idr"]]}
