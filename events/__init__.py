"""The registry's events: immutable, past-tense facts with stable topics.

Stored event types and fields are a public contract. A field's meaning never
changes: a new shape gets `class_version = N` and an `upcast_vN-1_vN` static
method on the class, with a test that loads the old shape. A field a new version adds
defaults to what its upcaster gives older events.
"""

from events.agreement import (
    AgreementAmended,
    AgreementRenewed,
    AgreementSigned,
    AgreementTerminated,
    ChildQuotaAllocated,
    QuotaSlotsReleased,
    QuotaSlotsTaken,
)
from events.base import RegistryCreated, RegistryEvent
from events.corrections import CorrectionsApplied
from events.ledger import (
    ContributionInvoiced,
    ContributionLedgerOpened,
    ContributionPaid,
    PaymentReversed,
)
from events.region import CoverageTargetSet, RegionRegistered
from events.token import TokenIssued, TokenRevoked
from events.worker import (
    EnrollmentCarriedOver,
    EnrollmentVoided,
    WorkerCorrected,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerLegalHoldSet,
    WorkerPersonalDataErased,
    WorkerRegistered,
)

__all__ = [
    "AgreementAmended",
    "AgreementRenewed",
    "AgreementSigned",
    "AgreementTerminated",
    "ChildQuotaAllocated",
    "ContributionInvoiced",
    "ContributionLedgerOpened",
    "ContributionPaid",
    "CorrectionsApplied",
    "CoverageTargetSet",
    "EnrollmentCarriedOver",
    "EnrollmentVoided",
    "PaymentReversed",
    "QuotaSlotsReleased",
    "QuotaSlotsTaken",
    "RegionRegistered",
    "RegistryCreated",
    "RegistryEvent",
    "TokenIssued",
    "TokenRevoked",
    "WorkerCorrected",
    "WorkerDisenrolled",
    "WorkerEnrolled",
    "WorkerLegalHoldSet",
    "WorkerPersonalDataErased",
    "WorkerRegistered",
]
