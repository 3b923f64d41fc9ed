"""Who is asking, and in which request: stamped on every event written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


def new_request_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Context:
    actor: str
    request_id: str = field(default_factory=new_request_id)
    # The regions the actor may read, None for every region: what a refusal may reveal.
    regions: tuple[str, ...] | None = None

    def stamp(self) -> dict[str, str]:
        """The metadata fields every event carries."""
        return {"actor": self.actor, "request_id": self.request_id}
