"""The coverage read model: workers and their enrollments, bitemporally.

Answers who is covered on a date, an agreement's enrollments, its billable
workers per month and a region's covered workers, as the registry knows it
now or as it knew it at any earlier instant (`known_at`). Each enrollment
has versions: a change closes the current version (`valid_to`, the change's
record time) and opens a new one. `covered_until` is the last covered day
after disenrollments and the agreement's termination.
"""

from __future__ import annotations

from datetime import date
from functools import singledispatchmethod
from typing import Any

from events import (
    AgreementTerminated,
    EnrollmentCarriedOver,
    EnrollmentVoided,
    WorkerCorrected,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerRegistered,
)
from projections.base import Projection
from registry.dates import utc_iso
from registry.db import Cursor
from registry.programs import PROGRAMS

COLUMNS = ("enrollment_id", "seq", "agreement_id", "agreement_number", "region_code", "nik",
           "name", "occupation", "term_number", "programs", "jkk", "jkm", "jht", "starts_on",
           "ends_on", "covered_until", "status", "reason_code", "reason", "recorded_at",
           "actor")


class CoverageProjection(Projection):
    name = "coverage"
    table_names = ("rm_enrollments", "rm_workers")
    tables = (
        """CREATE TABLE IF NOT EXISTS rm_workers (
            nik TEXT PRIMARY KEY,
            worker_id TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            birth_date TEXT,
            sex TEXT,
            occupation TEXT NOT NULL,
            address TEXT,
            deceased_on TEXT,
            registered_at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS rm_enrollments (
            enrollment_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            agreement_id TEXT NOT NULL,
            agreement_number TEXT NOT NULL,
            region_code TEXT NOT NULL,
            nik TEXT NOT NULL,
            name TEXT NOT NULL,
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
    )

    WORKER_COLUMNS = ("nik", "worker_id", "name", "birth_date", "sex", "occupation",
                      "address", "registered_at")

    def __init__(self) -> None:
        # New workers and enrollments are written in bulk; anything that reads
        # or changes existing rows writes them out first.
        self._workers: dict[str, list[Any]] = {}
        self._enrollments: list[tuple[Any, ...]] = []

    def start_batch(self) -> None:
        self._workers, self._enrollments = {}, []

    def end_batch(self, cur: Cursor) -> None:
        cur.insert_rows("rm_workers", self.WORKER_COLUMNS,
                        [tuple(row) for row in self._workers.values()])
        cur.insert_rows("rm_enrollments", (*COLUMNS, "version", "valid_from"),
                        self._enrollments)
        self.start_batch()

    @singledispatchmethod
    def process(self, event: Any, cur: Cursor, position: int) -> None:
        """Other events leave this model alone."""

    @process.register(WorkerRegistered)
    def _registered(self, e: WorkerRegistered, cur: Cursor, position: int) -> None:
        self._workers[str(e.originator_id)] = [
            e.nik, str(e.originator_id), e.name, _iso(e.birth_date), e.sex, e.occupation,
            e.address, utc_iso(e.timestamp)]

    @process.register(WorkerEnrolled)
    def _enrolled(self, e: WorkerEnrolled, cur: Cursor, position: int) -> None:
        # The worker's own details change only through corrections.
        pending = self._workers.get(str(e.originator_id))
        nik = pending[0] if pending is not None else _nik_of(cur, e)
        row = (e.enrollment_id, position, str(e.agreement_id), e.agreement_number,
               e.region_code, nik, e.name, e.occupation, e.term_number, ",".join(e.programs),
               *(int(p in e.programs) for p in PROGRAMS), e.starts_on.isoformat(),
               e.ends_on.isoformat(), e.ends_on.isoformat(), "active", None, None,
               utc_iso(e.timestamp), e.actor)
        self._enrollments.append((*row, position, utc_iso(e.timestamp)))

    @process.register(EnrollmentCarriedOver)
    def _carried_over(self, e: EnrollmentCarriedOver, cur: Cursor, position: int) -> None:
        self.end_batch(cur)
        day = e.ends_on.isoformat()
        revise(cur, e, position, "enrollment_id = ?", [e.enrollment_id],
               term_number=("?", [e.term_number]), ends_on=("?", [day]),
               covered_until=("?", [day]))

    @process.register(WorkerDisenrolled)
    def _disenrolled(self, e: WorkerDisenrolled, cur: Cursor, position: int) -> None:
        self.end_batch(cur)
        day = e.ends_on.isoformat()
        revise(cur, e, position, "enrollment_id = ?", [e.enrollment_id],
               status=("'ended'", []), ends_on=("?", [day]),
               reason_code=("?", [e.reason_code]), reason=("?", [e.reason]),
               covered_until=("CASE WHEN covered_until < ? THEN covered_until ELSE ? END",
                              [day, day]))
        if e.reason_code == "DECEASED":
            cur.execute("UPDATE rm_workers SET deceased_on = ? WHERE worker_id = ?",
                        (day, str(e.originator_id)))

    @process.register(EnrollmentVoided)
    def _voided(self, e: EnrollmentVoided, cur: Cursor, position: int) -> None:
        self.end_batch(cur)
        revise(cur, e, position, "enrollment_id = ?", [e.enrollment_id],
               status=("'voided'", []), reason=("?", [e.reason]))

    @process.register(WorkerCorrected)
    def _corrected(self, e: WorkerCorrected, cur: Cursor, position: int) -> None:
        self.end_batch(cur)
        worker_id = str(e.originator_id)
        cur.execute(
            "UPDATE rm_workers SET name = COALESCE(?, name), "
            "birth_date = COALESCE(?, birth_date), sex = COALESCE(?, sex), "
            "occupation = COALESCE(?, occupation), address = COALESCE(?, address) "
            "WHERE worker_id = ?",
            (e.name, _iso(e.birth_date), e.sex, e.occupation, e.address, worker_id))
        if e.name is not None or e.occupation is not None:
            revise(cur, e, position,
                   "nik = (SELECT nik FROM rm_workers WHERE worker_id = ?)", [worker_id],
                   name=("COALESCE(?, name)", [e.name]),
                   occupation=("COALESCE(?, occupation)", [e.occupation]))

    @process.register(AgreementTerminated)
    def _terminated(self, e: AgreementTerminated, cur: Cursor, position: int) -> None:
        self.end_batch(cur)
        day = e.ends_on.isoformat()
        revise(cur, e, position, "agreement_id = ? AND covered_until > ?",
               [str(e.originator_id), day], covered_until=("?", [day]))


def revise(cur: Cursor, event: Any, position: int, where: str, where_params: list[Any],
           **changes: tuple[str, list[Any]]) -> None:
    """Close the current versions matching `where` and open changed ones."""
    current = f"valid_to IS NULL AND version < ? AND {where}"
    exprs, params = [], []
    for column in COLUMNS:
        expr, expr_params = changes.get(column, (column, []))
        exprs.append(expr)
        params += expr_params
    recorded = utc_iso(event.timestamp)
    # Events are stamped when made, not when committed: never let a version
    # start before the one it replaces.
    since = "CASE WHEN valid_from > ? THEN valid_from ELSE ? END"
    cur.execute(
        f"INSERT INTO rm_enrollments ({', '.join(COLUMNS)}, version, valid_from) "  # noqa: S608
        f"SELECT {', '.join(exprs)}, ?, {since} FROM rm_enrollments WHERE {current}",
        (*params, position, recorded, recorded, position, *where_params))
    cur.execute(f"UPDATE rm_enrollments SET valid_to = {since} WHERE {current}",  # noqa: S608
                (recorded, recorded, position, *where_params))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _nik_of(cur: Cursor, e: WorkerEnrolled) -> str:
    # The NIK is on the registration event, which this model has already seen.
    row = cur.execute("SELECT nik FROM rm_workers WHERE worker_id = ?",
                      (str(e.originator_id),)).fetchone()
    return str(row[0])
