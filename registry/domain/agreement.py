"""The Agreement aggregate: an MOU or a PKS and its terms.

Guards live in the public methods; the `when` handlers only assign state,
because they run again on every replay and must never fail.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import (
    AgreementAmended,
    AgreementRenewed,
    AgreementSigned,
    AgreementTerminated,
    ChildQuotaAllocated,
    QuotaSlotsReleased,
    QuotaSlotsTaken,
    RegistryEvent,
)
from registry.domain import programs as vocab
from registry.domain import region_codes as regions
from registry.domain.context import Context
from registry.domain.enrollment import Coverage
from registry.domain.errors import (
    AgreementNotActive,
    InvalidTransition,
    QuotaExceeded,
)
from registry.domain.ids import derived_id
from registry.domain.parents import check_parent
from registry.domain.rules import (
    check_contribution,
    check_period,
    check_programs,
    check_quota,
    require,
)
from registry.domain.term import Term, current_term_index, status_on


class Agreement(Aggregate):
    """An MOU or PKS under which a regional government pays contributions."""

    TOPIC = "Agreement"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = AgreementSigned  # type: ignore[assignment]

    def __init__(self) -> None:
        self.terms: list[Term] = []
        self.terminated_on: date | None = None
        self.termination_reason: str | None = None
        self.child_quotas: dict[str, int] = {}

    @staticmethod
    def create_id(agreement_number: str) -> UUID:
        """Derived from the number, so a second signing of it cannot be saved."""
        return derived_id("agreement", agreement_number.strip().casefold())

    # Commands.

    @classmethod
    def sign(
        cls,
        ctx: Context,
        *,
        agreement_number: str,
        kind: str,
        region_code: str,
        region_name: str,
        sponsor: str,
        bpjs_office: str,
        signed_on: date,
        funding_source: str,
        programs: list[str],
        starts_on: date,
        ends_on: date,
        parent: Agreement | None = None,
        title: str | None = None,
        signatories: list[dict[str, str]] | None = None,
        quota: int | None = None,
        monthly_contribution_idr: int | None = None,
        document_ref: str | None = None,
    ) -> Agreement:
        """Sign an MOU or a PKS. A PKS needs a quota; its parent, if any, must be an MOU
        the signer may see (`ctx.regions`) whose region contains the PKS's."""
        agreement_number = agreement_number.strip()
        require(bool(agreement_number), "agreement_number", "must not be blank")
        require(kind in vocab.KINDS, "kind", f"must be one of {', '.join(vocab.KINDS)}")
        require(regions.is_region_code(region_code), "region_code",
                 'must be a Kemendagri code such as "12" or "12.75"')
        require(funding_source in vocab.FUNDING_SOURCES, "funding_source",
                 f"must be one of {', '.join(vocab.FUNDING_SOURCES)}")
        check_programs(programs)
        check_period(starts_on, ends_on)
        check_quota(quota)
        check_contribution(monthly_contribution_idr)
        if kind == "PKS":
            require(quota is not None, "quota", "is required for a PKS")
        if parent is not None:
            check_parent(parent, ctx.regions, kind, region_code)
        programs = vocab.normalised(programs)
        if monthly_contribution_idr is None:
            monthly_contribution_idr = vocab.default_monthly_contribution_idr(programs)
        return cls._create(
            AgreementSigned,
            id=cls.create_id(agreement_number),
            **ctx.stamp_with_reason(),
            agreement_number=agreement_number,
            kind=kind,
            parent_id=parent.id if parent is not None else None,
            title=title,
            region_code=region_code,
            region_name=region_name,
            sponsor=sponsor,
            bpjs_office=bpjs_office,
            signed_on=signed_on,
            signatories=list(signatories or []),
            funding_source=funding_source,
            programs=programs,
            starts_on=starts_on,
            ends_on=ends_on,
            quota=quota,
            monthly_contribution_idr=monthly_contribution_idr,
            document_ref=document_ref,
        )

    def amend(
        self,
        ctx: Context,
        *,
        effective_on: date,
        reason: str,
        quota: int | None = None,
        monthly_contribution_idr: int | None = None,
        title: str | None = None,
        sponsor: str | None = None,
    ) -> None:
        """Change the term in force on `effective_on`; the reason is kept."""
        require(bool(reason.strip()), "reason", "must not be blank")
        check_quota(quota)
        check_contribution(monthly_contribution_idr)
        self._check_not_terminated(effective_on)
        index = next((i for i, t in enumerate(self.terms) if t.contains(effective_on)), None)
        if index is None:
            raise InvalidTransition(
                f"no term of agreement {self.agreement_number} contains {effective_on}")
        term = self.terms[index]
        if quota is not None and quota < term.enrolled:
            raise QuotaExceeded(
                f"quota {quota} is below the {term.enrolled} workers enrolled in the term")
        if quota is not None and quota < self.allocated_to_children():
            raise QuotaExceeded(
                f"quota {quota} is below the {self.allocated_to_children()} "
                "already allocated to agreements under it")
        self.trigger_event(
            AgreementAmended, **ctx.stamp(), effective_on=effective_on,
            term_number=index + 1, reason=reason, quota=quota,
            monthly_contribution_idr=monthly_contribution_idr, title=title,
            sponsor=sponsor,
        )

    def renew(
        self,
        ctx: Context,
        *,
        ends_on: date,
        starts_on: date | None = None,
        quota: int | None = None,
        monthly_contribution_idr: int | None = None,
        carry_over: bool = True,
        reason: str | None = None,
        carried: int | None = None,
    ) -> None:
        """Add a term after the last; enrolled workers continue with `carry_over`.

        `carried` is how many of the last term's workers may continue (default:
        all); the application leaves out those who died or are covered elsewhere.
        """
        if self.terminated_on is not None:
            raise InvalidTransition(
                f"agreement {self.agreement_number} was terminated on {self.terminated_on}")
        last = self.terms[-1]
        starts_on = self.next_term_start(starts_on)
        check_period(starts_on, ends_on)
        check_quota(quota)
        check_contribution(monthly_contribution_idr)
        quota = quota if quota is not None else last.quota
        carried_over = (last.enrolled if carried is None else carried) if carry_over else 0
        if quota is not None and carried_over > quota:
            raise QuotaExceeded(
                f"{carried_over} workers would carry over into a term with quota {quota}")
        if quota is not None and quota < self.allocated_to_children():
            raise QuotaExceeded(
                f"quota {quota} is below the {self.allocated_to_children()} "
                "already allocated to agreements under it")
        if monthly_contribution_idr is None:
            monthly_contribution_idr = last.monthly_contribution_idr
        self.trigger_event(
            AgreementRenewed, **ctx.stamp(), starts_on=starts_on, ends_on=ends_on,
            quota=quota, monthly_contribution_idr=monthly_contribution_idr,
            carry_over=carry_over, carried_over=carried_over, reason=reason or ctx.reason,
        )

    def next_term_start(self, starts_on: date | None = None) -> date:
        """When a renewal's term starts: the day after the last term, or later."""
        last = self.terms[-1]
        if starts_on is None and last.ends_on < date.max:
            starts_on = last.ends_on + timedelta(days=1)
        require(starts_on is not None and starts_on > last.ends_on, "starts_on",
                f"must be after the current last term, which ends on {last.ends_on}")
        assert starts_on is not None
        return starts_on

    def terminate(self, ctx: Context, *, ends_on: date, reason: str) -> None:
        """End the agreement early: nothing is covered under it after `ends_on`."""
        require(bool(reason.strip()), "reason", "must not be blank")
        if self.terminated_on is not None:
            raise InvalidTransition(
                f"agreement {self.agreement_number} was already terminated "
                f"on {self.terminated_on}")
        require(ends_on >= self.signed_on, "ends_on",
                 f"must not be before the signing date {self.signed_on}")
        require(ends_on <= self.terms[-1].ends_on, "ends_on",
                 f"must not be after the last term's end {self.terms[-1].ends_on}")
        self.trigger_event(AgreementTerminated, **ctx.stamp(), ends_on=ends_on, reason=reason)

    def allocate_to_child(self, ctx: Context, child: Agreement, quota: int) -> None:
        """Record the quota a PKS under this MOU takes; refuse going over ours."""
        if quota > 0:
            self._check_not_terminated(child.terms[-1].starts_on, AgreementNotActive)
        limit = self.terms[-1].quota
        others = self.allocated_to_children() - self.child_quotas.get(str(child.id), 0)
        if limit is not None and others + quota > limit:
            raise QuotaExceeded(
                f"the MOU {self.agreement_number} has quota {limit}; "
                f"{others} is already allocated to other agreements under it, "
                f"so {quota} more does not fit")
        self.trigger_event(
            ChildQuotaAllocated, **ctx.stamp_with_reason(), child_id=child.id,
            child_agreement_number=child.agreement_number, quota=quota,
        )

    def coverage_for(self, starts_on: date | None, programs: list[str] | None,
                     today: date) -> Coverage:
        """What enrolling a worker now would cover: the term, period and programs."""
        if self.terminated_on is not None:
            raise AgreementNotActive(
                f"agreement {self.agreement_number} was terminated on {self.terminated_on}")
        if starts_on is None:
            index = current_term_index(self.terms, today)
            starts_on = max(self.terms[index].starts_on, today)
            if starts_on > self.terms[index].ends_on:
                raise AgreementNotActive(
                    f"the current term of {self.agreement_number} ended on "
                    f"{self.terms[index].ends_on}; name a starts_on inside a term")
        else:
            found = [i for i, t in enumerate(self.terms) if t.contains(starts_on)]
            if not found:
                raise AgreementNotActive(
                    f"{starts_on} is outside every term of {self.agreement_number}")
            index = found[0]
        chosen = vocab.normalised(programs) if programs else list(self.programs)
        foreign = [p for p in chosen if p not in self.programs]
        require(not foreign, "programs",
                 f"{', '.join(foreign)} not bought by agreement {self.agreement_number}")
        return Coverage(self.id, self.agreement_number, self.region_code, index + 1,
                        chosen, starts_on, self.terms[index].ends_on)

    def has_room(self, term_number: int, count: int) -> bool:
        free = self.terms[term_number - 1].free_slots()
        return free is None or count <= free

    def take_slots(self, ctx: Context, term_number: int, count: int) -> None:
        """Hold quota slots for `count` newly enrolled workers; never beyond the quota."""
        if not self.has_room(term_number, count):
            term = self.terms[term_number - 1]
            raise QuotaExceeded(
                f"term {term_number} of {self.agreement_number} has quota {term.quota} "
                f"and {term.enrolled} enrolled")
        self.trigger_event(QuotaSlotsTaken, **ctx.stamp_with_reason(), term_number=term_number,
                           count=count)

    def release_slots(self, ctx: Context, term_number: int, count: int = 1) -> None:
        self.trigger_event(QuotaSlotsReleased, **ctx.stamp_with_reason(), term_number=term_number,
                           count=count)

    def _check_not_terminated(self, on: date, error: type = InvalidTransition) -> None:
        if self.terminated_on is not None and on > self.terminated_on:
            raise error(
                f"agreement {self.agreement_number} was terminated on {self.terminated_on}")

    # Queries.

    def status_on(self, on: date) -> str:
        return status_on(self.terms, self.terminated_on, on)

    def current_term_index(self, on: date) -> int:
        return current_term_index(self.terms, on)

    def current_quota(self) -> int | None:
        return self.terms[-1].quota

    def allocated_to_children(self) -> int:
        return sum(self.child_quotas.values())

    def document(self) -> dict[str, Any]:
        """The agreement as plain data, the shape its read model stores too."""
        return {
            "id": str(self.id),
            "agreement_number": self.agreement_number,
            "kind": self.kind,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "title": self.title,
            "region_code": self.region_code,
            "region_name": self.region_name,
            "sponsor": self.sponsor,
            "bpjs_office": self.bpjs_office,
            "signed_on": self.signed_on.isoformat(),
            "signatories": list(self.signatories),
            "funding_source": self.funding_source,
            "programs": list(self.programs),
            "document_ref": self.document_ref,
            "terms": [t.document() for t in self.terms],
            "terminated_on": self.terminated_on.isoformat() if self.terminated_on else None,
            "termination_reason": self.termination_reason,
            "version": self.version,
        }

    # State changes, applied on every replay.

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(AgreementSigned)
    def _signed(self, e: AgreementSigned) -> None:
        self.agreement_number = e.agreement_number
        self.kind = e.kind
        self.parent_id = e.parent_id
        self.title = e.title
        self.region_code = e.region_code
        self.region_name = e.region_name
        self.sponsor = e.sponsor
        self.bpjs_office = e.bpjs_office
        self.signed_on = e.signed_on
        self.signatories = e.signatories
        self.funding_source = e.funding_source
        self.programs = e.programs
        self.document_ref = e.document_ref
        self.terms = [Term(e.starts_on, e.ends_on, e.quota, e.monthly_contribution_idr)]

    @when.register(AgreementAmended)
    def _amended(self, e: AgreementAmended) -> None:
        i = e.term_number - 1
        self.terms[i] = self.terms[i].with_changes(
            quota=e.quota, monthly_contribution_idr=e.monthly_contribution_idr)
        self.title = e.title if e.title is not None else self.title
        self.sponsor = e.sponsor if e.sponsor is not None else self.sponsor

    @when.register(AgreementRenewed)
    def _renewed(self, e: AgreementRenewed) -> None:
        self.terms.append(Term(e.starts_on, e.ends_on, e.quota,
                               e.monthly_contribution_idr, e.carried_over))

    @when.register(AgreementTerminated)
    def _terminated(self, e: AgreementTerminated) -> None:
        self.terminated_on = e.ends_on
        self.termination_reason = e.reason

    @when.register(QuotaSlotsTaken)
    def _taken(self, e: QuotaSlotsTaken) -> None:
        term = self.terms[e.term_number - 1]
        self.terms[e.term_number - 1] = term.with_changes(enrolled=term.enrolled + e.count)

    @when.register(QuotaSlotsReleased)
    def _released(self, e: QuotaSlotsReleased) -> None:
        term = self.terms[e.term_number - 1]
        self.terms[e.term_number - 1] = term.with_changes(enrolled=term.enrolled - e.count)

    @when.register(ChildQuotaAllocated)
    def _allocated(self, e: ChildQuotaAllocated) -> None:
        self.child_quotas[str(e.child_id)] = e.quota
