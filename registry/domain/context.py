"""Who is asking, and in which request: stamped on every event written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class HeldKey:
    """An `Idempotency-Key` the request holds (registry/store/idempotency.py).

    `digest` names the key's record, `attempt` this request's claim on it: the
    recorders mark the record applied in the transaction that writes the
    events, and refuse the write if another attempt has taken the key over.
    """

    digest: str
    attempt: str


@dataclass(frozen=True)
class Context:
    actor: str
    request_id: str = field(default_factory=new_request_id)
    # The regions the actor may read, None for every region: what a refusal may reveal.
    regions: tuple[str, ...] | None = None
    idempotency: HeldKey | None = None
    # Why the request was made (optional on every write): carried by the events
    # that have no reason of their own to give.
    reason: str | None = None

    def stamp(self) -> dict[str, str]:
        """The metadata fields every event carries."""
        return {"actor": self.actor, "request_id": self.request_id}

    def stamp_with_reason(self) -> dict[str, str | None]:
        """`stamp` and the request's reason: for events whose only reason is the request's."""
        return {"actor": self.actor, "request_id": self.request_id, "reason": self.reason}

    def because(self, reason: str | None) -> Context:
        """This context giving `reason`, if one is given: a command's own reason (a
        renewal's, a disenrollment's) on every event the command writes."""
        return self if not reason else replace(self, reason=reason)

    def save_options(self) -> dict[str, Any]:
        """What `save()` passes to the recorder beside the events."""
        return {} if self.idempotency is None else {"idempotency": self.idempotency}
