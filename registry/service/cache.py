"""Aggregates this process loaded recently, brought up to date on every get.

An agreement takes a quota-slot event with every enrollment, so loading it
from its last snapshot replays up to 200 events, on every request. Kept
here, the same load costs one query for the events saved since (by any
process) and a copy. The store stays the only truth: every get asks it for
newer events, so a cached aggregate is never older than the log, and a
write based on it still meets the optimistic-concurrency check.

Why not the library's own cache (`AGGREGATE_CACHE_MAXSIZE`, which also
fast-forwards): `Repository.get` in eventsourcing 9.5.6 deep-copies the
cached aggregate after releasing its fast-forward lock, so another thread
bringing the same aggregate up to date mutates it mid-copy. The copy then
fails with "dictionary changed size during iteration" (a 500 for a valid
request) or holds a state ahead of its version. The e2e concurrency tests
(tests/e2e/test_concurrent_enrollment.py, test_batch_fairness.py) and
tests/integration/test_write_fairness.py pass with it on both engines, too
rarely hitting that window; tests/unit/test_cache.py widens the window and
fails with the library's cache in 4 runs of 5. Here the copy is taken under
the stripe's lock, so a get returns one version whole.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from copy import deepcopy
from typing import Any
from uuid import UUID

STRIPES = 64


class AggregateCache:
    def __init__(self, app: Any, maxsize: int = 20_000) -> None:
        self.app = app
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()  # guards _items
        # One lock per stripe of ids: two threads never bring the same
        # aggregate up to date at once, and unrelated ones do not wait.
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored now: a copy the caller may change."""
        with self._stripes[hash(aggregate_id) % STRIPES]:
            with self._lock:
                cached = self._items.get(aggregate_id)
            if cached is None:
                aggregate = self.app.repository.get(aggregate_id)
            else:
                aggregate = cached
                try:
                    for event in self.app.events.get(aggregate_id, gt=cached.version):
                        aggregate = event.mutate(aggregate)
                except BaseException:
                    self.forget(aggregate_id)  # half brought up to date: never reuse it
                    raise
            self._put(aggregate_id, aggregate)
            return deepcopy(aggregate)

    def peek(self, aggregate_id: UUID) -> Any:
        """The aggregate as this process last saw it, not copied and perhaps not current
        (loaded if it never was): for facts an aggregate never changes once created,
        such as an agreement's region. The caller must not change it."""
        with self._lock:
            cached = self._items.get(aggregate_id)
        return cached if cached is not None else self.get(aggregate_id)

    def _put(self, aggregate_id: UUID, aggregate: Any) -> None:
        with self._lock:
            self._items[aggregate_id] = aggregate
            self._items.move_to_end(aggregate_id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def forget(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._items.pop(aggregate_id, None)
