"""The coverage read model: workers and their enrollments, bitemporally.

Answers who is covered on a date, an agreement's enrollments, its billable
workers per month and a region's covered workers, as the registry knows it
now or as it knew it at any earlier instant (`known_at`). Each enrollment
has versions: a change closes the current version (`valid_to`, the change's
record time) and opens a new one. `covered_until` is the last covered day
after disenrollments and the agreement's termination.

No NIK, name, birth date or address is ever here in clear: the `nik` columns
hold the worker's pseudonym (its stream id, derived from the NIK's keyed
blind index), and the personal fields the sealed text of the events
(registry/store/sealing.py), opened only when an answer shows them
(projections/reveal.py).

A batch keeps the versions its events change in memory and writes them at
its end; the changes that reach many enrollments at once (a correction of a
worker, a termination) are made in SQL by `revise`, after writing them out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from events import (
    AgreementTerminated,
    EnrollmentCarriedOver,
    EnrollmentVoided,
    WorkerCorrected,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerPersonalDataErased,
    WorkerRegistered,
)
from projections import bulk
from projections.base import Projection, handles
from projections.reader import Batch, Fields
from registry.domain.programs import PROGRAMS
from registry.store.db import Cursor

COLUMNS = ("enrollment_id", "seq", "agreement_id", "agreement_number", "region_code", "nik",
           "name", "occupation", "term_number", "programs", "jkk", "jkm", "jht", "starts_on",
           "ends_on", "covered_until", "status", "reason_code", "reason", "recorded_at",
           "actor")
# A version as a batch holds it (a list, as `revise` changes it): COLUMNS, then
# version, valid_from, valid_to.
ROW = (*COLUMNS, "version", "valid_from", "valid_to")
(TERM_NUMBER, ENDS_ON, COVERED_UNTIL, STATUS, REASON_CODE, REASON) = (
    COLUMNS.index(c) for c in ("term_number", "ends_on", "covered_until", "status",
                               "reason_code", "reason"))
VERSION, VALID_FROM, VALID_TO = range(len(COLUMNS), len(COLUMNS) + 3)
CHANGES_ONE_ENROLLMENT = (EnrollmentCarriedOver, WorkerDisenrolled, EnrollmentVoided)


class CoverageProjection(Projection):
    name = "coverage"
    # 2: pseudonyms and sealed fields, never a NIK or a name in clear.
    version = 2
    table_names = ("rm_enrollments", "rm_workers")
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_workers (
            nik TEXT PRIMARY KEY,
            worker_id TEXT NOT NULL UNIQUE,
            nik_sealed TEXT,
            name TEXT,
            birth_date TEXT,
            sex TEXT,
            occupation TEXT NOT NULL,
            address TEXT,
            deceased_on TEXT,
            registered_at TEXT NOT NULL,
            erased_at TEXT)""",
        """CREATE TABLE IF NOT EXISTS rm_enrollments (
            enrollment_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            agreement_id TEXT NOT NULL,
            agreement_number TEXT NOT NULL,
            region_code TEXT NOT NULL,
            nik TEXT NOT NULL,
            name TEXT,
            occupation TEXT NOT NULL,
            term_number INTEGER NOT NULL,
            programs TEXT NOT NULL,
            jkk INTEGER NOT NULL,
            jkm INTEGER NOT NULL,
            jht INTEGER NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            covered_until TEXT NOT NULL,
            status TEXT NOT NULL,
            reason_code TEXT,
            reason TEXT,
            recorded_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            version BIGINT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_to TEXT,
            PRIMARY KEY (enrollment_id, version))""",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_agreement "
        "ON rm_enrollments (agreement_id, seq)",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_nik ON rm_enrollments (nik)",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_region ON rm_enrollments (region_code)",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_province "
        "ON rm_enrollments (substr(region_code, 1, 2))",
    )

    WORKER_COLUMNS = ("nik", "worker_id", "nik_sealed", "name", "birth_date", "sex",
                      "occupation", "address", "registered_at", "deceased_on")

    def __init__(self) -> None:
        self.start_batch()

    def start_batch(self) -> None:
        # What a batch changes is kept here and written by `_flush` in a few
        # statements: new rows in bulk, closed versions by primary key.
        self._workers: dict[str, list[Any]] = {}  # registered in this batch
        self._deaths: dict[str, str] = {}  # deceased_on of workers stored earlier
        self._new: list[list[Any]] = []  # enrollment versions opened in this batch
        self._stored: set[tuple[str, int]] = set()  # (enrollment_id, version) loaded
        self._closed: list[tuple[str, str, int]] = []  # (valid_to, enrollment_id, version)
        # enrollment_id -> its current versions (as ROW lists), as this batch knows them.
        self._current: dict[str, list[list[Any]]] = {}
        self._flushed = False

    def end_batch(self, cur: Cursor) -> None:
        self._flush(cur)
        self.start_batch()

    def _flush(self, cur: Cursor) -> None:
        if self._deaths or self._closed:
            self.need_indexes(cur)
        cur.insert_rows("rm_workers", self.WORKER_COLUMNS, list(self._workers.values()))
        bulk.update(cur, "UPDATE rm_workers SET deceased_on = ? WHERE worker_id = ?",
                    "UPDATE rm_workers w SET deceased_on = v.day FROM "
                    "unnest(?::text[], ?::text[]) AS v(day, id) WHERE w.worker_id = v.id",
                    [(day, worker_id) for worker_id, day in self._deaths.items()])
        cur.insert_rows("rm_enrollments", ROW, self._new)
        bulk.update(cur, "UPDATE rm_enrollments SET valid_to = ? WHERE enrollment_id = ? "
                    "AND version = ?",
                    "UPDATE rm_enrollments e SET valid_to = v.since FROM "
                    "unnest(?::text[], ?::text[], ?::bigint[]) AS v(since, id, version) "
                    "WHERE e.enrollment_id = v.id AND e.version = v.version", self._closed)
        self._workers, self._deaths, self._new, self._closed = {}, {}, [], []
        self._stored = set()
        self._current = {}  # what was new is stored now; look it up again when needed
        self._flushed = True

    def apply(self, batch: Batch, cur: Cursor) -> None:
        self.start_batch()
        handler = self.handler
        self._prefetch(batch, cur)
        for index, (position, cls, event) in enumerate(batch):
            method = handler(cls)
            if method is None:
                continue
            method(self, event, cur, position)
            if self._flushed:  # a change made in SQL: what was prefetched may be stale
                self._flushed = False
                self._prefetch(batch[index + 1:], cur)
        self.end_batch(cur)

    def _prefetch(self, batch: Batch, cur: Cursor) -> None:
        """Look up, in a few queries, the workers and enrollments the batch changes."""
        born: set[str] = set()
        enrollments = set()
        for _, cls, event in batch:
            if cls is WorkerEnrolled:
                born.add(event["enrollment_id"])
            elif cls in CHANGES_ONE_ENROLLMENT:
                enrollment_id = event["enrollment_id"]
                if enrollment_id not in born and enrollment_id not in self._current:
                    enrollments.add(enrollment_id)
        self._load(cur, sorted(enrollments))

    def _load(self, cur: Cursor, enrollment_ids: list[str]) -> None:
        if enrollment_ids:
            self.need_indexes(cur)
        for enrollment_id in enrollment_ids:
            self._current[enrollment_id] = []
        for row in bulk.select_in(
                cur, f"SELECT {', '.join(ROW[:VALID_TO])} FROM rm_enrollments "  # noqa: S608
                     "WHERE valid_to IS NULL AND enrollment_id IN (?)", enrollment_ids):
            self._current[row[0]].append([*row, None])
            self._stored.add((row[0], row[VERSION]))

    def _revise(self, cur: Cursor, e: Fields, position: int,
                change: Callable[[list[Any]], None]) -> None:
        """`revise` by enrollment_id, on the versions this batch holds: the same rows."""
        enrollment_id, recorded = e["enrollment_id"], e["timestamp"]
        if enrollment_id not in self._current:
            self._load(cur, [enrollment_id])
        current = []
        for old in self._current[enrollment_id]:
            if old[VERSION] >= position:
                current.append(old)
                continue
            since = old[VALID_FROM] if old[VALID_FROM] > recorded else recorded
            new = old.copy()
            change(new)
            new[VERSION], new[VALID_FROM], new[VALID_TO] = position, since, None
            old[VALID_TO] = since
            if (old[0], old[VERSION]) in self._stored:
                self._closed.append((since, old[0], old[VERSION]))
            self._new.append(new)
            current.append(new)
        self._current[enrollment_id] = current

    @handles(WorkerRegistered)
    def _registered(self, e: Fields, cur: Cursor, position: int) -> None:
        # Keyed by the pseudonym: a store's workers registered before sealing hold
        # their NIK in clear in `nik_sealed`, the others its sealed text.
        worker_id = e["originator_id"]
        self._workers[worker_id] = [
            worker_id, worker_id, e["nik"], e["name"], e["birth_date"], e["sex"],
            e["occupation"], e["address"], e["timestamp"], None]

    @handles(WorkerEnrolled)
    def _enrolled(self, e: Fields, cur: Cursor, position: int) -> None:
        # The worker's own details change only through corrections.
        nik = e["originator_id"]
        ends_on, recorded = e["ends_on"], e["timestamp"]
        programs = ",".join(e["programs"])
        flags = _flags(programs)
        # Every change is a version that starts at the event's record time.
        version = [e["enrollment_id"], position, e["agreement_id"], e["agreement_number"],
                   e["region_code"], nik, e["name"], e["occupation"], e["term_number"],
                   programs, *flags, e["starts_on"], ends_on, ends_on, "active", None, None,
                   recorded, e["actor"], position, recorded, None]
        self._new.append(version)
        # An enrollment_id is new with its enrollment (a uuid4): nothing stored has it.
        self._current.setdefault(e["enrollment_id"], []).append(version)

    @handles(EnrollmentCarriedOver)
    def _carried_over(self, e: Fields, cur: Cursor, position: int) -> None:
        day = e["ends_on"]

        def change(row: list[Any]) -> None:
            row[TERM_NUMBER], row[ENDS_ON], row[COVERED_UNTIL] = e["term_number"], day, day

        self._revise(cur, e, position, change)

    @handles(WorkerDisenrolled)
    def _disenrolled(self, e: Fields, cur: Cursor, position: int) -> None:
        day = e["ends_on"]

        def change(row: list[Any]) -> None:
            row[STATUS], row[ENDS_ON], row[REASON_CODE], row[REASON] = (
                "ended", day, e["reason_code"], e["reason"])
            row[COVERED_UNTIL] = min(row[COVERED_UNTIL], day)

        self._revise(cur, e, position, change)
        if e["reason_code"] == "DECEASED":
            pending = self._workers.get(e["originator_id"])
            if pending is not None:
                pending[-1] = day
            else:
                self._deaths[e["originator_id"]] = day

    @handles(EnrollmentVoided)
    def _voided(self, e: Fields, cur: Cursor, position: int) -> None:
        def change(row: list[Any]) -> None:
            row[STATUS], row[REASON] = "voided", e["reason"]

        self._revise(cur, e, position, change)

    @handles(WorkerCorrected)
    def _corrected(self, e: Fields, cur: Cursor, position: int) -> None:
        self._flush(cur)
        self.need_indexes(cur)
        worker_id = e["originator_id"]
        cur.execute(
            "UPDATE rm_workers SET name = COALESCE(?, name), "
            "birth_date = COALESCE(?, birth_date), sex = COALESCE(?, sex), "
            "occupation = COALESCE(?, occupation), address = COALESCE(?, address) "
            "WHERE worker_id = ?",
            (e["name"], e["birth_date"], e["sex"], e["occupation"], e["address"], worker_id))
        if e["name"] is not None or e["occupation"] is not None:
            revise(cur, e, position, "nik = ?", [worker_id],
                   name=("COALESCE(?, name)", [e["name"]]),
                   occupation=("COALESCE(?, occupation)", [e["occupation"]]))

    @handles(WorkerPersonalDataErased)
    def _erased(self, e: Fields, cur: Cursor, position: int) -> None:
        self._flush(cur)
        self.need_indexes(cur)
        cur.execute("UPDATE rm_workers SET erased_at = ? WHERE worker_id = ?",
                    (e["timestamp"], e["originator_id"]))

    @handles(AgreementTerminated)
    def _terminated(self, e: Fields, cur: Cursor, position: int) -> None:
        self._flush(cur)
        self.need_indexes(cur)
        day = e["ends_on"]
        revise(cur, e, position, "agreement_id = ? AND covered_until > ?",
               [e["originator_id"], day], covered_until=("?", [day]))


@functools.lru_cache(maxsize=64)
def _flags(programs: str) -> tuple[int, ...]:
    """The jkk, jkm, jht columns of an enrollment in `programs` (as stored: "JKK,JKM")."""
    return tuple(int(p in programs.split(",")) for p in PROGRAMS)


def revise(cur: Cursor, event: Fields, position: int, where: str, where_params: list[Any],
           **changes: tuple[str, list[Any]]) -> None:
    """Close the current versions matching `where` and open changed ones."""
    current = f"valid_to IS NULL AND version < ? AND {where}"
    exprs, params = [], []
    for column in COLUMNS:
        expr, expr_params = changes.get(column, (column, []))
        exprs.append(expr)
        params += expr_params
    recorded = event["timestamp"]
    # Events are stamped when made, not when committed: never let a version
    # start before the one it replaces.
    since = "CASE WHEN valid_from > ? THEN valid_from ELSE ? END"
    cur.execute(
        f"INSERT INTO rm_enrollments ({', '.join(COLUMNS)}, version, valid_from) "  # noqa: S608
        f"SELECT {', '.join(exprs)}, ?, {since} FROM rm_enrollments WHERE {current}",
        (*params, position, recorded, recorded, position, *where_params))
    cur.execute(f"UPDATE rm_enrollments SET valid_to = {since} WHERE {current}",  # noqa: S608
                (recorded, recorded, position, *where_params))

