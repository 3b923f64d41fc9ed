"""The coverage read model: workers and their enrollments.

Answers who is covered on a date, an agreement's enrollments, its billable
workers per month, and a region's covered workers. `covered_until` is the
last covered day after disenrollments and the agreement's termination.
"""

from __future__ import annotations

from datetime import date
from functools import singledispatchmethod
from typing import Any

from events import (
    AgreementTerminated,
    EnrollmentCarriedOver,
    EnrollmentVoided,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerRegistered,
)
from projections.base import Projection
from registry.db import Cursor
from registry.programs import PROGRAMS


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
            enrollment_id TEXT PRIMARY KEY,
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
            actor TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_agreement ON rm_enrollments (agreement_id, seq)",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_nik ON rm_enrollments (nik)",
        "CREATE INDEX IF NOT EXISTS rm_enrollments_region ON rm_enrollments (region_code)",
    )

    @singledispatchmethod
    def process(self, event: Any, cur: Cursor, position: int) -> None:
        """Other events leave this model alone."""

    @process.register(WorkerRegistered)
    def _registered(self, e: WorkerRegistered, cur: Cursor, position: int) -> None:
        cur.execute(
            "INSERT INTO rm_workers (nik, worker_id, name, birth_date, sex, occupation, "
            "address, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (e.nik, str(e.originator_id), e.name, _iso(e.birth_date), e.sex, e.occupation, e.address,
             e.timestamp.isoformat()))

    @process.register(WorkerEnrolled)
    def _enrolled(self, e: WorkerEnrolled, cur: Cursor, position: int) -> None:
        nik = _nik_of(cur, e)
        cur.execute(
            "UPDATE rm_workers SET name = ?, occupation = ?, birth_date = COALESCE(?, birth_date), "
            "sex = COALESCE(?, sex), address = COALESCE(?, address) WHERE nik = ?",
            (e.name, e.occupation, _iso(e.birth_date), e.sex, e.address, nik))
        flags = [int(p in e.programs) for p in PROGRAMS]
        cur.execute(
            "INSERT INTO rm_enrollments (enrollment_id, seq, agreement_id, agreement_number, "
            "region_code, nik, name, occupation, term_number, programs, jkk, jkm, jht, "
            "starts_on, ends_on, covered_until, status, recorded_at, actor) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            (e.enrollment_id, position, str(e.agreement_id), e.agreement_number,
             e.region_code, nik, e.name, e.occupation, e.term_number, ",".join(e.programs),
             *flags, e.starts_on.isoformat(), e.ends_on.isoformat(), e.ends_on.isoformat(),
             e.timestamp.isoformat(), e.actor))

    @process.register(EnrollmentCarriedOver)
    def _carried_over(self, e: EnrollmentCarriedOver, cur: Cursor, position: int) -> None:
        cur.execute(
            "UPDATE rm_enrollments SET term_number = ?, ends_on = ?, covered_until = ? "
            "WHERE enrollment_id = ?",
            (e.term_number, e.ends_on.isoformat(), e.ends_on.isoformat(), e.enrollment_id))

    @process.register(WorkerDisenrolled)
    def _disenrolled(self, e: WorkerDisenrolled, cur: Cursor, position: int) -> None:
        day = e.ends_on.isoformat()
        cur.execute(
            "UPDATE rm_enrollments SET status = 'ended', ends_on = ?, reason_code = ?, "
            "reason = ?, covered_until = CASE WHEN covered_until < ? THEN covered_until "
            "ELSE ? END WHERE enrollment_id = ?",
            (day, e.reason_code, e.reason, day, day, e.enrollment_id))
        if e.reason_code == "DECEASED":
            cur.execute("UPDATE rm_workers SET deceased_on = ? WHERE nik = "
                        "(SELECT nik FROM rm_enrollments WHERE enrollment_id = ?)",
                        (day, e.enrollment_id))

    @process.register(EnrollmentVoided)
    def _voided(self, e: EnrollmentVoided, cur: Cursor, position: int) -> None:
        cur.execute("UPDATE rm_enrollments SET status = 'voided', reason = ? "
                    "WHERE enrollment_id = ?", (e.reason, e.enrollment_id))

    @process.register(AgreementTerminated)
    def _terminated(self, e: AgreementTerminated, cur: Cursor, position: int) -> None:
        day = e.ends_on.isoformat()
        cur.execute("UPDATE rm_enrollments SET covered_until = ? "
                    "WHERE agreement_id = ? AND covered_until > ?",
                    (day, str(e.originator_id), day))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _nik_of(cur: Cursor, e: WorkerEnrolled) -> str:
    # The NIK is on the registration event, which this model has already seen.
    row = cur.execute("SELECT nik FROM rm_workers WHERE worker_id = ?",
                      (str(e.originator_id),)).fetchone()
    return str(row[0])
