"""Base classes: every event carries who recorded it and in which request.

The library has no metadata envelope, so `actor` and `request_id` are fields
of every event; `recorded_at` is the library's `timestamp`. Topics are the
event type names ("AgreementSigned"), registered explicitly so that moving or
renaming a class never orphans stored rows.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

from eventsourcing.domain import AggregateCreated, AggregateEvent
from eventsourcing.utils import register_topic

_HANDLERS: dict[tuple[type, type], Any] = {}


class RegistryEvent(AggregateEvent):
    """An event of one of the registry's aggregates."""

    # The stored type name, given by every concrete event class.
    TOPIC: ClassVar[str]

    actor: str
    request_id: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic:
            register_topic(topic, cls)

    def apply(self, aggregate: Any) -> None:
        # The aggregate owns how a fact changes its state (its `when`). Looking
        # the handler up once per pair of types, not through the
        # singledispatchmethod on every event, halves the cost of a replay.
        key = (type(aggregate), type(self))
        handler = _HANDLERS.get(key)
        if handler is None:
            handler = _HANDLERS[key] = inspect.getattr_static(
                key[0], "when").dispatcher.dispatch(key[1])
        handler(aggregate, self)

    @property
    def type(self) -> str:
        return type(self).TOPIC


def without_reason(state: dict[str, Any]) -> None:
    """The upcaster of every event class that gained `reason`, the why a request may give
    on any write (and a command of its own, such as a renewal, gives on what it writes):
    an event stored before had none."""
    state["reason"] = None


class RegistryCreated(AggregateCreated, RegistryEvent):
    """The first event of an aggregate's stream."""
