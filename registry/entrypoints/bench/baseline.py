"""What the bare `eventsourcing` library does with the same work: the baselines.

No registry code runs here but the decoding of the registry's own log (which
needs the registry's topics and transcodings): a plain `Application`, plain
aggregates declared the library's way, the library's own recorders.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder

from registry.config import Database
from registry.domain.term import DateAsISO
from registry.entrypoints.bench import workload
from registry.entrypoints.bench.harness import Store
from registry.store.sealed_mapper import as_stored


class BenchAgreement(Aggregate):
    @event("Signed")
    def __init__(self, number: str, quota: int, actor: str, request_id: str) -> None:
        self.number = number
        self.quota = quota
        self.enrolled = 0

    @event("SlotsTaken")
    def take_slots(self, count: int, actor: str, request_id: str) -> None:
        self.enrolled += count


class BenchWorker(Aggregate):
    @staticmethod
    def create_id(nik: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/bench/workers/{nik}")

    @event("Registered")
    def __init__(self, nik: str, name: str, birth_date: date, sex: str, occupation: str,
                 address: str, actor: str, request_id: str) -> None:
        self.nik = nik
        self.enrollments: list[dict[str, Any]] = []

    @event("Enrolled")
    def enroll(self, enrollment_id: str, agreement_id: UUID, agreement_number: str,
               region_code: str, term_number: int, programs: list[str], starts_on: date,
               ends_on: date, name: str, birth_date: date, sex: str, occupation: str,
               address: str, actor: str, request_id: str) -> None:
        self.enrollments.append({"enrollment_id": enrollment_id, "agreement_id": agreement_id})


class _Library(Application):
    name = "bench_library"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        # Dates need a transcoding in any application: the library's documented way.
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())


def _library_env(store: Store) -> dict[str, str]:
    database = Database.from_url(store.url)
    env = database.eventsourcing_env()
    env["PERSISTENCE_MODULE"] = ("eventsourcing.sqlite" if database.engine == "sqlite"
                                 else "eventsourcing.postgres")
    return env


def library_bulk_save(store: Store, rows: list[dict[str, Any]], batch: int = 500) -> float:
    """Seconds for the library to save each row's worker (registered, enrolled) and
    the agreement's slots, `batch` workers per save, into the fresh `store`."""
    app = _Library(env=_library_env(store))
    try:
        began = time.perf_counter()
        agreement = BenchAgreement("PKS/BENCH/LIBRARY", len(rows), "bench", "r0")
        for first in range(0, len(rows), batch):
            part = rows[first:first + batch]
            workers = []
            for row in part:
                born = date.fromisoformat(row["birth_date"])
                worker = BenchWorker(row["nik"], row["name"], born, row["sex"],
                                     row["occupation"], row["address"], "bench", "r1")
                worker.enroll(uuid4().hex, agreement.id, agreement.number, "12.75", 1,
                              ["JKK", "JKM"], workload.STARTS_ON, workload.ENDS_ON,
                              row["name"], born, row["sex"], row["occupation"],
                              row["address"], "bench", "r1")
                workers.append(worker)
            agreement.take_slots(len(part), "bench", "r1")
            app.save(agreement, *workers)
        return time.perf_counter() - began
    finally:
        app.close()


def library_decode(app: Any, page: int = 1000) -> tuple[int, float]:
    """(events, seconds) for the library to read and decode the whole log of `app`."""
    # The library's own mapper: personal fields stay sealed, as the rebuild reads them.
    mapper = as_stored(app.mapper)
    began = time.perf_counter()
    count, position = 0, 0
    while True:
        notifications = app.recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=False)
        if not notifications:
            break
        for notification in notifications:
            mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id
    return count, time.perf_counter() - began
