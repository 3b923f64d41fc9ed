"""What corrections did to the aggregates of a workspace: coverage, money, quota.

Worked out from the aggregates as loaded (`Workspace.originals`) and as the
corrections left them, with the rules the read side counts by
(registry/domain/coverage_rules.py): a worker's coverage periods, each
agreement's billable workers per month (as a change: the read model has the
counts before), and the quota slots held per term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from registry.domain.agreement import Agreement
from registry.domain.contributions import months
from registry.domain.coverage_rules import covers
from registry.domain.enrollment import Enrollment, Terminations
from registry.domain.worker import Worker
from registry.service.workspace import Original, Workspace, details_of

Month = tuple[int, int]


def periods(enrollments: Iterable[Enrollment], terminations: Terminations) -> list[dict[str, Any]]:
    """The days each enrollment covers (not voided, covering a day at all), in order."""
    found = []
    for e in enrollments:
        until = e.covered_until(terminations)
        if e.live and until >= e.starts_on:
            found.append({"agreement_number": e.agreement_number, "programs": list(e.programs),
                          "starts_on": e.starts_on.isoformat(), "ends_on": until.isoformat()})
    return sorted(found, key=lambda p: (p["starts_on"], p["agreement_number"], p["ends_on"]))


def _changed_workers(ws: Workspace) -> list[Worker]:
    return [w for w in ws.workers.values() if w.pending_events]


def worker_changes(ws: Workspace) -> list[dict[str, Any]]:
    """Each worker whose coverage or details the corrections change, before and after."""
    out = []
    for worker in _changed_workers(ws):
        original = ws.originals.get(worker.id, Original())
        before = periods(original.enrollments.values(), ws.terminations)
        after = periods(worker.enrollments.values(), ws.terminations)
        change: dict[str, Any] = {"nik": worker.nik, "before": before, "after": after}
        details = details_of(worker)
        if original.details and original.details != details:
            change["details"] = {"before": _plain(original.details), "after": _plain(details)}
        if before != after or "details" in change:
            out.append(change)
    return sorted(out, key=lambda c: c["nik"])


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in details.items()}


def _billed_months(enrollments: Iterable[Enrollment], terminations: Terminations
                   ) -> dict[UUID, set[Month]]:
    """The months each agreement bills the worker for: those its coverage overlaps."""
    billed: dict[UUID, set[Month]] = {}
    for e in enrollments:
        until = e.covered_until(terminations)
        if not covers(e.status, e.starts_on, until, e.starts_on, until):
            continue
        spanned = billed.setdefault(e.agreement_id, set())
        for first, _last in months((e.starts_on.year, e.starts_on.month),
                                   (until.year, until.month)):
            spanned.add((first.year, first.month))
    return billed


def owed_deltas(ws: Workspace) -> dict[UUID, Counter[Month]]:
    """Per agreement and month, how many more (or fewer) workers it bills for."""
    deltas: dict[UUID, Counter[Month]] = {}
    for worker in _changed_workers(ws):
        original = ws.originals.get(worker.id, Original())
        before = _billed_months(original.enrollments.values(), ws.terminations)
        after = _billed_months(worker.enrollments.values(), ws.terminations)
        for agreement_id in before.keys() | after.keys():
            was, now = before.get(agreement_id, set()), after.get(agreement_id, set())
            counts = deltas.setdefault(agreement_id, Counter())
            for month in now - was:
                counts[month] += 1
            for month in was - now:
                counts[month] -= 1
    return {a: Counter({m: n for m, n in c.items() if n}) for a, c in deltas.items()
            if any(c.values())}


def quota_changes(ws: Workspace) -> list[dict[str, Any]]:
    """Each term whose quota slots held the corrections change, before and after."""
    out = []
    for aggregate in ws.loaded.values():
        if not isinstance(aggregate, Agreement) or not aggregate.pending_events:
            continue
        before = ws.originals[aggregate.id].terms
        for number, (was, now) in enumerate(zip(before, aggregate.terms, strict=True), 1):
            if was.enrolled != now.enrolled:
                out.append({"agreement_number": aggregate.agreement_number,
                            "term_number": number, "quota": now.quota,
                            "before": was.enrolled, "after": now.enrolled})
    return sorted(out, key=lambda q: (q["agreement_number"], q["term_number"]))
