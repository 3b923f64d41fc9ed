"""Events of an agreement's stream (MOU or PKS)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from events.base import RegistryCreated, RegistryEvent, without_reason


class AgreementSigned(RegistryCreated):
    """An MOU or PKS was signed; its first term runs `starts_on`..`ends_on`.

    Version 2 added `document_ref`, the reference of the signed PDF (an archive
    number or URL) that auditors check the record against; version-1 events
    had none.

    Version 3 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "AgreementSigned"
    class_version = 3

    agreement_number: str
    kind: str
    parent_id: UUID | None
    title: str | None
    region_code: str
    region_name: str
    sponsor: str
    bpjs_office: str
    signed_on: date
    signatories: list[dict[str, str]]
    funding_source: str
    programs: list[str]
    starts_on: date
    ends_on: date
    quota: int | None
    monthly_contribution_idr: int
    document_ref: str | None
    reason: str | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["document_ref"] = None

    upcast_v2_v3 = staticmethod(without_reason)


class AgreementAmended(RegistryEvent):
    """Term `term_number` (1-based) changed; `None` fields stayed as they were."""

    TOPIC = "AgreementAmended"

    effective_on: date
    term_number: int
    reason: str
    quota: int | None
    monthly_contribution_idr: int | None
    title: str | None
    sponsor: str | None


class AgreementRenewed(RegistryEvent):
    """A new term was added after the last one.

    `carried_over` is how many workers still enrolled at the end of the
    previous term continue into this one (0 without `carry_over`).
    """

    TOPIC = "AgreementRenewed"

    starts_on: date
    ends_on: date
    quota: int | None
    monthly_contribution_idr: int
    carry_over: bool
    carried_over: int
    reason: str | None


class AgreementTerminated(RegistryEvent):
    """The agreement ends early: nothing is covered under it after `ends_on`."""

    TOPIC = "AgreementTerminated"

    ends_on: date
    reason: str


class ChildQuotaAllocated(RegistryEvent):
    """On an MOU: the quota a PKS under it now takes (0 once terminated).

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "ChildQuotaAllocated"
    class_version = 2

    child_id: UUID
    child_agreement_number: str
    quota: int
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


class QuotaSlotsTaken(RegistryEvent):
    """`count` workers were enrolled into term `term_number` (one batch or one worker).

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "QuotaSlotsTaken"
    class_version = 2

    term_number: int
    count: int
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)


class QuotaSlotsReleased(RegistryEvent):
    """`count` slots of term `term_number` were freed by disenrollments or voids.

    Version 2 added `reason` (`events.base.without_reason`).
    """

    TOPIC = "QuotaSlotsReleased"
    class_version = 2

    term_number: int
    count: int
    reason: str | None = None

    upcast_v1_v2 = staticmethod(without_reason)
