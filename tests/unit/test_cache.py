"""The aggregate cache under threads: every get is a whole copy of one version."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any

from eventsourcing.application import Application

from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.enrollment import Coverage, Details, EnrollmentAsDict
from registry.domain.term import DateAsISO
from registry.domain.worker import Worker
from registry.service.cache import AggregateCache

CTX = Context("tester")
SITI = Details(name="Siti Aminah", occupation="petani")
# Enough enrollments for copying the worker to take a while, and long enough
# writing for the library's own cache (which copies outside its lock) to fail
# this test nearly every time.
ENROLLED = 2000
WRITING_SECONDS = 1.0


class InMemory(Application):
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EnrollmentAsDict())


def one_day_under_a_new_agreement(n: int) -> Coverage:
    day = date(2000, 1, 1) + timedelta(days=2 * n)
    return Coverage(uuid.uuid4(), f"PKS-{n}", "12.22", 1, ["JKK"], day, day)


def test_readers_never_get_a_worker_torn_by_another_threads_bringing_it_up_to_date():
    # A worker with many enrollments, so that copying it takes a while.
    store = InMemory()
    cache = AggregateCache(store)
    worker = Worker.register(CTX, niks.make("12.22", 1, date(1990, 6, 5), "F", 1), SITI)
    for n in range(ENROLLED):
        worker.enroll(CTX, one_day_under_a_new_agreement(n), SITI)
    store.save(worker)
    # Readers get it over and over while a writer adds enrollments.
    problems: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                copy = cache.get(worker.id)
            except Exception as error:  # noqa: BLE001 - every failure is the finding
                problems.append(repr(error))
                continue
            if len(copy.enrollments) != copy.version - 1:
                problems.append(f"version {copy.version} with {len(copy.enrollments)}")

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    n, began = ENROLLED, time.monotonic()
    try:
        while time.monotonic() - began < WRITING_SECONDS:
            changed = cache.get(worker.id)
            changed.enroll(CTX, one_day_under_a_new_agreement(n), SITI)
            store.save(changed)
            n += 1
    finally:
        done.set()
        for reader in readers:
            reader.join()

    assert problems == []
    assert len(cache.get(worker.id).enrollments) == n
