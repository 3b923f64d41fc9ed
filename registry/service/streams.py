"""Many short streams loaded at once: a worker's stream holds a few events, so a
batch of them is read in a query per 500 streams instead of two queries and a copy
per worker (a renewal carries over thousands; a corrections file names as many)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID


def load_streams(app: Any, ids: Collection[UUID]) -> dict[UUID, Any]:
    """The aggregates of these streams that exist, each as its events make it now."""
    loaded: dict[UUID, Any] = {}
    for stream, stored in app.recorder.select_streams(ids).items():
        aggregate: Any = None
        for event in stored:
            aggregate = app.mapper.to_domain_event(event).mutate(aggregate)
        loaded[stream] = aggregate
    return loaded
