"""Corrections with a preview: a file of voids, disenrollments, corrections and
enrollments, shown before it is written, and written exactly as shown.

Previewing runs every row, in the file's order, through the application's own
use cases (`void_in`, `disenroll_in`, `correct_in`, `plan_enrollment`) on one
workspace of copies (registry/service/workspace.py): the same rules as any
write (quota, death, double coverage), and nothing saved. What the rows did is
read off the copies (registry/service/correction_effects.py), and the amounts
owed before come from the read side (`Owed`, given by the caller: the service
does not read read models itself).

Applying runs the rows again, on the aggregates as they are now, in one
`write`: if any stream the preview read has another version, or the rows now
do anything else than the preview showed, nothing is written and the answer is
`stale_preview`. The write also creates the file's own stream
(`CorrectionsFile`), named after the preview: a preview is applied once, and
the store refuses a second in the same transaction.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.corrections import ACTIONS, CorrectionsFile
from registry.domain.dates import today
from registry.domain.enrollment import Details
from registry.domain.errors import NotFound, RegistryError
from registry.domain.term import Term
from registry.domain.token import Principal
from registry.service import correction_effects as effects
from registry.service.corrections_file import (
    Correction,
    CorrectionsFileIn,
    RowForbidden,
    RowOutcome,
    UnknownAction,
    UnknownAgreement,
    UnknownNik,
)
from registry.service.enrollments import RESERVE_FROM_ROWS, EnrollmentRequest
from registry.service.workspace import Workspace
from registry.store.previews import PreviewStore


class StalePreview(RegistryError):
    """Something the preview rests on changed: preview the file again."""

    code = "stale_preview"


class PreviewAlreadyApplied(RegistryError):
    code = "preview_already_applied"


class PreviewHasRejectedRows(RegistryError):
    """A file with rejected rows is applied only once fixed and previewed again."""

    code = "preview_has_rejected_rows"


class Owed(Protocol):
    """What an agreement with these terms owes each month from `first` to `last`
    (year, month), as the read side answers GET /agreements/{id}/contributions."""

    def __call__(self, agreement_id: UUID, terms: list[Term], first: tuple[int, int],
                 last: tuple[int, int]) -> dict[str, Any]: ...


@dataclass
class _Run:
    """The rows run on a workspace: each row's outcome, and what they changed."""

    ws: Workspace
    outcomes: list[RowOutcome]
    on: date


class CorrectionDesk:
    """Previews corrections files and applies previews."""

    def __init__(self, app: Any, previews: PreviewStore, owed: Owed, ttl: timedelta) -> None:
        self.app = app
        self.previews = previews
        self.owed = owed
        self.ttl = ttl

    def preview(self, ctx: Context, principal: Principal,
                file: CorrectionsFileIn) -> dict[str, Any]:
        """Run the file on copies; keep the preview; its id, rows and changes."""
        based_on = self.app.head_position()
        run = self._run(ctx, principal, file.corrections)
        changes = self._changes(run)
        outcomes = sorted([*run.outcomes, *file.rejected], key=lambda o: o.row)
        rows = file.as_json()
        kept = {"reason": file.reason, "corrections": rows,
                "rejected": len([o for o in outcomes if o.error is not None]),
                "digest": file.digest(rows), "based_on_position": based_on,
                "versions": {str(i): v for i, v in run.ws.versions.items()},
                "agreements": [str(i) for i, a in run.ws.loaded.items()
                               if isinstance(a, Agreement)],
                "on": run.on.isoformat(), "changes": changes}
        preview_id, _ = self.previews.keep(principal.name, kept, self.ttl)
        return {"preview_id": preview_id, "based_on_position": based_on,
                "expires_in_minutes": int(self.ttl.total_seconds() // 60),
                "rows": outcomes, "changes": changes}

    def apply(self, ctx: Context, principal: Principal, preview_id: str) -> dict[str, Any]:
        """Write the preview's corrections in one transaction, exactly as previewed."""
        found = self.previews.find(principal.name, preview_id)
        if found is None:
            raise NotFound(f"no preview {preview_id}: it does not exist, it has expired "
                           f"(previews are kept {int(self.ttl.total_seconds() // 60)} minutes) "
                           "or another token made it")
        kept, key = found
        if kept["rejected"]:
            raise PreviewHasRejectedRows(
                f"{kept['rejected']} rows of this preview were rejected: nothing in it can be "
                "applied; fix those rows and preview the file again")
        corrections = [Correction.from_json(c) for c in kept["corrections"]]
        actions = Counter(c.action for c in corrections)

        def attempt() -> tuple[list[Aggregate], None]:
            # Asked again on every attempt: an apply that lost its save to another apply
            # of the same preview says so, not that its records changed.
            if self.app._exists(CorrectionsFile.create_id(key)):
                raise PreviewAlreadyApplied(f"preview {preview_id} was already applied")
            run = self._run(ctx, principal, corrections)
            self._check_unchanged(run, kept)
            record = CorrectionsFile.apply(
                ctx, preview_key=key, reason=kept["reason"],
                based_on_position=kept["based_on_position"], actions=dict(actions),
                file_digest=kept["digest"])
            return [*run.ws.changed(), record], None

        agreements = [UUID(i) for i in kept["agreements"]]
        big = len(corrections) >= RESERVE_FROM_ROWS
        _, position = self.app.write(attempt, ctx, reserve=agreements if big else [])
        return {"preview_id": preview_id, "position": position,
                "applied": dict(sorted(actions.items())), "changes": kept["changes"]}

    # Running the rows.

    def _run(self, ctx: Context, principal: Principal,
             corrections: list[Correction]) -> _Run:
        ws = Workspace(self.app, defer_slots=True)
        ws.load_workers(c.nik for c in corrections)
        plans: dict[UUID, Any] = {}
        on = today()
        outcomes = []
        for c in corrections:
            outcome = RowOutcome(c.row, c.action, c.nik)
            mark = ws.mark(self._named(ws, c))
            try:
                self._row(ws, ctx, principal, c, plans, on)
            except RegistryError as error:
                ws.undo_to(mark)
                outcome.error = error
            outcomes.append(outcome)
        # Freed slots first: a slot a death freed may be the one a new worker takes.
        ws.release_deferred_slots(ctx)
        for plan in plans.values():
            self.app.take_planned_slots(ctx, plan)
        return _Run(ws, outcomes, on)

    def _changes(self, run: _Run) -> dict[str, Any]:
        return {"workers": effects.worker_changes(run.ws),
                "contributions": self._contributions(run),
                "quota": effects.quota_changes(run.ws)}

    @staticmethod
    def _named(ws: Workspace, c: Correction) -> list[UUID]:
        """The aggregates a row names: a refused row must leave them as they were."""
        named = [w.id for w in (ws.workers.get(c.nik),) if w is not None]
        agreement_id = c.agreement_id or (
            _agreement_id(c.agreement_number) if c.agreement_number else None)
        return named + ([agreement_id] if agreement_id else [])

    def _row(self, ws: Workspace, ctx: Context, principal: Principal, c: Correction,
             plans: dict[UUID, Any], on: date) -> None:
        if c.action not in ACTIONS:
            raise UnknownAction(f"unknown action {c.action!r}: use one of {', '.join(ACTIONS)}")
        ctx = ctx.because(c.reason)  # the row's (else the file's) reason, on every event
        if c.action == "correct":
            self._correct(ws, ctx, principal, c)
            return
        agreement = self._writable_agreement(ws, principal, c)
        try:
            if c.action == "void":
                self.app.void_in(ws, ctx, agreement.id, c.nik, c.reason or "")
            elif c.action == "disenroll":
                self.app.disenroll_in(ws, ctx, agreement.id, c.nik, ends_on=c.ends_on,
                                      reason_code=c.reason_code, reason=c.reason)
            else:
                self._enroll(ws, ctx, agreement, c, plans, on)
        except NotFound as e:
            raise UnknownNik(e.detail) from None

    def _enroll(self, ws: Workspace, ctx: Context, agreement: Agreement, c: Correction,
                plans: dict[UUID, Any], on: date) -> None:
        plan = plans.get(agreement.id)
        if plan is None:
            plan = plans[agreement.id] = self.app.enrollment_plan(ws, agreement.id)
        request = EnrollmentRequest(
            nik=c.nik, details=Details(name=c.name or "", occupation=c.occupation or "",
                                       birth_date=c.birth_date, sex=c.sex, address=c.address),
            programs=c.programs, starts_on=c.starts_on, row=c.row)
        result = self.app.plan_enrollment(ws, ctx, plan, request, on)
        if result.error is not None:
            raise result.error

    def _correct(self, ws: Workspace, ctx: Context, principal: Principal,
                 c: Correction) -> None:
        """As POST /workers/{nik}/corrections: where the token may write one of the
        worker's enrollments (or the one under the agreement the row names)."""
        try:
            worker = ws.worker(c.nik)
        except NotFound:
            raise UnknownNik(f"no worker with NIK {niks.mask(c.nik)}") from None
        if c.agreement_id or c.agreement_number:
            agreement = self._writable_agreement(ws, principal, c)
            try:
                worker.enrollment_under(agreement.id)
            except NotFound as e:
                raise UnknownNik(e.detail) from None
        else:
            regions = {e.region_code for e in worker.live_enrollments()}
            if not any(principal.can_see(r) for r in regions):
                raise UnknownNik(f"no worker with NIK {niks.mask(c.nik)}")
            if not any(principal.can_write(r) for r in regions):
                raise RowForbidden(f"token {principal.name!r} may not write where this "
                                   "worker is enrolled")
        details = {k: getattr(c, k) for k in ("name", "birth_date", "sex", "occupation",
                                              "address")}
        self.app.correct_in(ws, ctx, c.nik, c.reason or "", **details)

    @staticmethod
    def _writable_agreement(ws: Workspace, principal: Principal, c: Correction) -> Agreement:
        """The row's agreement: unknown where the token may not see it (as a 404 would
        be), forbidden where it may only read it."""
        named = c.agreement_number or str(c.agreement_id)
        agreement_id = c.agreement_id or _agreement_id(c.agreement_number or "")
        try:
            agreement = ws.agreement(agreement_id)
        except NotFound:
            raise UnknownAgreement(f"no agreement {named}") from None
        if not principal.can_see(agreement.region_code):
            raise UnknownAgreement(f"no agreement {named}")
        if not principal.can_write(agreement.region_code):
            raise RowForbidden(f"token {principal.name!r} may not write in region "
                               f"{agreement.region_code} (agreement {named})")
        return agreement

    # The money, and whether a preview still holds.

    def _contributions(self, run: _Run) -> list[dict[str, Any]]:
        """Per agreement and month whose amount changes, before (as the read side
        says now) and after."""
        out = []
        for agreement_id, deltas in effects.owed_deltas(run.ws).items():
            agreement = run.ws.agreement(agreement_id)
            terms = list(run.ws.originals[agreement_id].terms)
            owed = self.owed(agreement_id, terms, min(deltas), max(deltas))
            for month in owed["months"]:
                year, number = (int(p) for p in month["month"].split("-"))
                delta = deltas.get((year, number), 0)
                if not delta:
                    continue
                rate = month["monthly_contribution_idr"]
                out.append({"agreement_number": agreement.agreement_number,
                            "month": month["month"], "before_workers": month["workers"],
                            "after_workers": month["workers"] + delta,
                            "before_idr": month["amount_idr"],
                            "after_idr": (month["workers"] + delta) * rate})
        return sorted(out, key=lambda r: (r["agreement_number"], r["month"]))

    def _check_unchanged(self, run: _Run, kept: dict[str, Any]) -> None:
        """Nothing is written unless it is what the preview showed."""
        refused = [o for o in run.outcomes if o.error is not None]
        if refused:
            first = refused[0]
            raise StalePreview(f"row {first.row} would now be refused "
                               f"({first.error.code if first.error else ''}); "
                               "preview the file again")
        for agreement_id in kept["agreements"]:
            # Read by the preview's own reckoning, which this check does not repeat.
            run.ws.agreement(UUID(agreement_id))
        versions = {str(i): v for i, v in run.ws.versions.items()}
        moved = sorted(i for i in versions.keys() | kept["versions"].keys()
                       if versions.get(i, -1) != kept["versions"].get(i, -1))
        if moved:
            raise StalePreview(f"{len(moved)} of the records this preview read changed "
                               "since it was made; preview the file again")
        # The same records at the same versions, on the same day, make the same changes
        # (the rules read nothing else): only the amounts owed, which other workers'
        # records make too, are read again. On another day (an enrollment starting
        # "today") everything is worked out again and compared.
        if run.on.isoformat() == kept["on"]:
            unchanged = self._owed_as_before(run, kept["changes"]["contributions"])
        else:
            unchanged = self._changes(run) == kept["changes"]
        if not unchanged:
            raise StalePreview("applying now would change other figures than the preview "
                               "showed (another write changed what they rest on); preview "
                               "the file again")

    def _owed_as_before(self, run: _Run, rows: list[dict[str, Any]]) -> bool:
        """Whether each month the preview listed still owes what it said before."""
        by_agreement: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_agreement.setdefault(row["agreement_number"], []).append(row)
        for number, listed in by_agreement.items():
            agreement_id = _agreement_id(number)
            months = [(int(r["month"][:4]), int(r["month"][5:])) for r in listed]
            owed = self.owed(agreement_id, list(run.ws.originals[agreement_id].terms),
                             min(months), max(months))
            now = {m["month"]: (m["workers"], m["amount_idr"]) for m in owed["months"]}
            if any(now[r["month"]] != (r["before_workers"], r["before_idr"]) for r in listed):
                return False
        return True


@functools.lru_cache(maxsize=1024)
def _agreement_id(agreement_number: str) -> UUID:
    # Named by thousands of rows of a file; each a uuid5 to work out.
    return Agreement.create_id(agreement_number)
