"""Single writes saved in groups: checked in order, refused alone, saved at once (both engines).

A first request is held inside its group while the others queue, so that they
form the next group together, in the order they arrived.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from registry.bootstrap import Registry
from registry.domain.errors import AlreadyCovered, QuotaExceeded, RegistryError
from registry.service.application import RegistryApplication
from registry.service.workspace import Workspace
from registry.store import idempotency
from tests.builders import CTX, enrollment_request, sign_labusel_pks


class Queued:
    """Writes sent one after another while the group before them is held."""

    def __init__(self, registry: Registry) -> None:
        self.committer = registry.app.group_commit
        self.outcomes: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []

    def send(self, name: str, write: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                self.outcomes[name] = write()
            except BaseException as error:  # noqa: BLE001 - the outcome the test looks at
                self.outcomes[name] = error

        queued = len(self.committer._queue)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        self._threads.append(thread)
        _until(lambda: len(self.committer._queue) > queued)  # in this order

    def wait(self) -> None:
        for thread in self._threads:
            thread.join(timeout=60)


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the write never queued"
        time.sleep(0.005)


@contextmanager
def held_group(registry: Registry) -> Iterator[Queued]:
    """A group that runs only when the block ends; what is sent meanwhile queues."""
    release = threading.Event()

    def hold(_ws: Workspace) -> Callable[[], None]:
        release.wait(30)
        return lambda: None

    holder = threading.Thread(target=registry.app.group_commit.run, args=(CTX, hold),
                              daemon=True)
    holder.start()
    _until(lambda: registry.app.group_commit._running)
    queued = Queued(registry)
    try:
        yield queued
    finally:
        release.set()
        holder.join(timeout=60)
        queued.wait()


def _kinds_after(registry: Registry, position: int) -> list[str]:
    return [type(registry.app.mapper.to_domain_event(n)).__name__
            for n in registry.app.recorder.select_notifications(start=position + 1, limit=100)]


def test_a_group_checks_each_write_after_the_ones_before_it_and_refuses_only_the_breakers(
        registry):
    agreement = sign_labusel_pks(registry, quota=2)
    enroll = registry.app.enroll_worker
    head = registry.app.head_position()
    with held_group(registry) as queued:
        queued.send("first", lambda: enroll(CTX, agreement, enrollment_request(1)))
        queued.send("again", lambda: enroll(CTX, agreement, enrollment_request(1)))
        queued.send("second", lambda: enroll(CTX, agreement, enrollment_request(2)))
        queued.send("full", lambda: enroll(CTX, agreement, enrollment_request(3)))
    outcomes = queued.outcomes
    assert isinstance(outcomes["again"], AlreadyCovered)  # it saw "first", unsaved then
    assert isinstance(outcomes["full"], QuotaExceeded)  # it saw "first" and "second"
    first, second = outcomes["first"][2], outcomes["second"][2]
    assert head < first < second
    # One save: both workers' events, then the agreement's two slots.
    assert _kinds_after(registry, head) == ["WorkerRegistered", "WorkerEnrolled",
                                            "WorkerRegistered", "WorkerEnrolled",
                                            "QuotaSlotsTaken", "QuotaSlotsTaken"]
    assert (first, second) == (head + 5, head + 6)  # each its own last event
    assert registry.app.get_agreement(agreement).terms[0].enrolled == 2


def test_a_group_that_loses_a_race_is_written_request_by_request(registry):
    agreement = sign_labusel_pks(registry, quota=10)
    rival = RegistryApplication(registry.settings.database, create_tables=False)
    raced = []

    def racing(ws: Workspace) -> Callable[[], None]:
        ws.agreement(agreement)  # read: the rival then changes it before the group saves
        if not raced:
            raced.append(rival.enroll_worker(CTX, agreement, enrollment_request(7)))
        ws.worker(enrollment_request(8).nik)  # NotFound: refused, nothing saved
        return lambda: None

    try:
        with held_group(registry) as queued:
            queued.send("racing", lambda: registry.app.group_commit.run(CTX, racing))
            queued.send("enroll", lambda: registry.app.enroll_worker(
                CTX, agreement, enrollment_request(1)))
    finally:
        rival.close()
    assert isinstance(queued.outcomes["racing"], RegistryError)
    assert queued.outcomes["enroll"][0].nik == enrollment_request(1).nik
    assert registry.app.get_agreement(agreement).terms[0].enrolled == 2


def test_each_idempotency_key_of_a_group_is_applied_at_its_own_requests_last_event(registry):
    agreement = sign_labusel_pks(registry, quota=10)
    held = {n: registry.idempotency.claim("tester", f"key-{n}", "f").held for n in (1, 2, 3)}
    with held_group(registry) as queued:
        for n in (1, 2, 3):
            ctx = replace(CTX, idempotency=held[n])
            request = enrollment_request(1 if n == 3 else n)  # 3: already covered
            queued.send(f"key-{n}", lambda ctx=ctx, request=request: registry.app.enroll_worker(
                ctx, agreement, request))
    with registry.store.transaction() as cur:
        rows = dict(cur.execute(f"SELECT key_digest, position FROM {idempotency.TABLE} "  # noqa: S608
                                "WHERE state = 'applied'").fetchall())
    assert rows == {held[1].digest: queued.outcomes["key-1"][2],
                    held[2].digest: queued.outcomes["key-2"][2]}
    assert isinstance(queued.outcomes["key-3"], AlreadyCovered)


def test_a_write_alone_is_saved_at_once(registry):
    agreement = sign_labusel_pks(registry, quota=10)
    _, _, position = registry.app.enroll_worker(CTX, agreement, enrollment_request(1))
    assert position == registry.app.head_position()
    assert not registry.app.group_commit._running and not registry.app.group_commit._queue


class Stopped(BaseException):
    """Stands for what no `except Exception` catches (a worker's timeout, say)."""


def test_a_group_stopped_midway_answers_none_of_its_requests_as_saved(registry):
    agreement = sign_labusel_pks(registry, quota=10)
    head = registry.app.head_position()

    def stop(_ws: Workspace) -> Callable[[], None]:
        raise Stopped

    with held_group(registry) as queued:
        for n in (1, 2):  # the first leads the group, in its own thread
            queued.send(f"enroll-{n}", lambda n=n: registry.app.enroll_worker(
                CTX, agreement, enrollment_request(n)))
        queued.send("stop", lambda: registry.app.group_commit.run(CTX, stop))
    assert isinstance(queued.outcomes["enroll-1"], Stopped)  # raised in the leader's thread
    assert isinstance(queued.outcomes["enroll-2"], RuntimeError)  # applied, never saved
    assert isinstance(queued.outcomes["stop"], RuntimeError)
    assert registry.app.head_position() == head
    # The next write is saved as usual.
    _, _, position = registry.app.enroll_worker(CTX, agreement, enrollment_request(1))
    assert position > head
