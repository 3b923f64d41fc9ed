"""A corrections file as the log records it: applied once, after its preview."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import CorrectionsApplied, RegistryEvent
from registry.domain.context import Context
from registry.domain.ids import derived_id

ACTIONS = ("void", "disenroll", "correct", "enroll")


class CorrectionsFile(Aggregate):
    """One applied corrections file; its stream holds the one event saying so."""

    TOPIC = "CorrectionsFile"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = CorrectionsApplied  # type: ignore[assignment]

    @staticmethod
    def create_id(preview_key: str) -> UUID:
        """Derived from the preview (its key, never its id): one stream per preview."""
        return derived_id("corrections", preview_key)

    @classmethod
    def apply(cls, ctx: Context, *, preview_key: str, reason: str | None,
              based_on_position: int, actions: dict[str, int],
              file_digest: str) -> CorrectionsFile:
        return cls._create(CorrectionsApplied, id=cls.create_id(preview_key), **ctx.stamp(),
                           reason=reason, based_on_position=based_on_position,
                           rows=sum(actions.values()), actions=dict(actions),
                           file_digest=file_digest)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(CorrectionsApplied)
    def _applied(self, e: CorrectionsApplied) -> None:
        self.reason = e.reason
        self.based_on_position = e.based_on_position
        self.actions = dict(e.actions)
