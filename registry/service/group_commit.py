"""Group commit: single-worker writes that arrive together are saved in one transaction.

A single enrollment (or disenrollment, void, correction) spends most of its
time on the save: the write lock, the hash chain's head, the Merkle tiles,
the commit. Under concurrent requests each waits its turn for that. Here
the requests that arrive while one group is being saved wait together, and
the next group runs them all:

- one after another, on one workspace (registry/service/workspace.py), so a
  later request sees what an earlier one did: quota, double coverage and
  death are checked exactly as if the requests had come one at a time, in
  the order they joined;
- a request whose rules refuse it is undone on the workspace and answered
  with its error; it does not fail the others;
- the workspace's changes are saved in one `save()`, with every request's
  Idempotency-Key marked applied at the position of its own last event in
  the same transaction (the recorders' `idempotency_group`). A request is
  answered only after that commit: a `201` still means its event is on disk.

If the group's save fails (another process changed one of its aggregates
meanwhile, or a key was taken over by a retry), nothing of it was written;
each request then runs on its own through `write`, with its retries and
reservations, as it would have without a group.

The first request to arrive while no group is running leads: it runs the
group and then hands the lead to the first request that queued meanwhile.
A request alone pays nothing more than a lock and a list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from registry.domain.agreement import Agreement
from registry.domain.context import Context, HeldKey
from registry.service.workspace import Workspace

T = TypeVar("T")
# A command works on the workspace and returns what to answer, read after the save
# (the aggregates it names may be replaced on the workspace when a later request
# in the group is undone).
Command = Callable[[Workspace], Callable[[], T]]
# A bound on one transaction's size: far above what queues behind a save of a few
# milliseconds on a server's few request threads.
MAX_GROUP = 64


@dataclass(eq=False)
class _Request(Generic[T]):
    ctx: Context
    command: Command[T]
    woken: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # woken to run the next group
    alone: bool = False  # woken to write on its own: the group's save failed
    answer: Callable[[], T] | None = None
    position: int | None = None  # set once what it wrote is committed (or nothing was)
    error: BaseException | None = None
    events: set[int] = field(default_factory=set)  # ids of its pending events


class GroupCommit:
    def __init__(self, app: Any, max_group: int = MAX_GROUP) -> None:
        self.app = app
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[_Request[Any]] = []
        self._running = False

    def run(self, ctx: Context, command: Command[T]) -> tuple[T, int]:
        """Run `command` in the next group; its answer and the position of its last event."""
        request: _Request[T] = _Request(ctx, command)
        with self._lock:
            self._queue.append(request)
            leads = not self._running
            self._running = True
        if not leads:
            request.woken.wait()
        if leads or request.lead:
            self._lead()  # a leader is always first in the group it takes
        if request.alone:
            return self._write_alone(request)
        if request.error is not None:
            raise request.error
        assert request.answer is not None and request.position is not None
        return request.answer(), request.position

    def _lead(self) -> None:
        with self._lock:
            group = self._queue[:self.max_group]
            del self._queue[:self.max_group]
        try:
            self._commit(group)
        except Exception as error:  # noqa: BLE001 - every request of the group is told
            for request in group:
                if not request.alone and request.error is None and request.position is None:
                    request.error = error
        finally:
            for request in group:
                if not request.alone and request.error is None and request.position is None:
                    request.error = RuntimeError("the group stopped before this request was saved")
            with self._lock:
                if self._queue:
                    following = self._queue[0]
                    following.lead = True
                    following.woken.set()
                else:
                    self._running = False
            for request in group:
                request.woken.set()

    def _commit(self, group: list[_Request[Any]]) -> None:
        ws = Workspace(self.app)
        applied = [request for request in group if self._apply(ws, request)]
        if not applied:
            return
        aggregates = ws.changed()
        if not aggregates:
            head = self.app.head_position()
            for request in applied:
                request.position = head
            return
        index = {id(event): n for n, event in enumerate(
            e for aggregate in aggregates for e in aggregate.pending_events)}
        keys: list[tuple[HeldKey, int]] = []
        for request in applied:
            if request.ctx.idempotency is not None and request.events:
                keys.append((request.ctx.idempotency, max(index[e] for e in request.events)))
        try:
            with self.app.reservations.saving(_agreement_ids(aggregates)):
                recordings = self.app.save(*aggregates, idempotency_group=keys)
        except Exception:  # noqa: BLE001 - nothing was written: each request goes alone
            for request in applied:
                request.alone = True
            return
        positions = {id(r.domain_event): r.notification.id for r in recordings}
        head = recordings[-1].notification.id
        for request in applied:
            request.position = (max(positions[e] for e in request.events)
                                if request.events else head)

    @staticmethod
    def _apply(ws: Workspace, request: _Request[Any]) -> bool:
        """Run the request's command on the workspace; a refusal leaves it as it was."""
        before = {i: len(a.pending_events) for i, a in ws.loaded.items()}
        mark = ws.mark(before)
        try:
            request.answer = request.command(ws)
        except Exception as error:  # noqa: BLE001 - the request's own answer
            request.error = error
            # What the refused command loaded itself is dropped with what it did.
            for aggregate_id in ws.loaded.keys() - before.keys():
                mark.pending[aggregate_id] = 0
            ws.undo_to(mark)
            for nik, worker in list(ws.workers.items()):
                if ws.loaded.get(worker.id) is not worker:
                    del ws.workers[nik]
            return False
        for aggregate_id, aggregate in ws.loaded.items():
            new = aggregate.pending_events[before.get(aggregate_id, 0):]
            request.events.update(id(e) for e in new)
        return True

    def _write_alone(self, request: _Request[T]) -> tuple[T, int]:
        def attempt() -> tuple[list[Aggregate], Callable[[], T]]:
            ws = Workspace(self.app)
            answer = request.command(ws)
            return ws.changed(), answer

        answer, position = self.app.write(attempt, request.ctx)
        return answer(), position


def _agreement_ids(aggregates: list[Aggregate]) -> set[UUID]:
    return {a.id for a in aggregates if isinstance(a, Agreement)}
