"""Queries over the coverage read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from projections import rules_sql
from projections.agreements import region_clause
from registry.domain.coverage_rules import enrollment_status_on
from registry.domain.dates import utc_iso
from registry.domain.programs import PROGRAMS
from registry.domain.region_codes import in_any
from registry.store.db import Cursor

ENROLLMENT_COLUMNS = (
    "enrollment_id, seq, agreement_id, agreement_number, region_code, nik, name, occupation, "
    "term_number, programs, starts_on, ends_on, covered_until, status, reason_code, reason, "
    "recorded_at, actor")
_KEYS = tuple(k.strip() for k in ENROLLMENT_COLUMNS.split(","))


def as_of(known_at: datetime | None, table: str = "") -> tuple[str, list[str]]:
    """The versions current now, or at record time `known_at`."""
    t = f"{table}." if table else ""
    if known_at is None:
        return f"{t}valid_to IS NULL", []
    moment = utc_iso(known_at)
    return f"{t}valid_from <= ? AND ({t}valid_to IS NULL OR {t}valid_to > ?)", [moment, moment]


def _enrollment(row: tuple[Any, ...], on: date) -> dict[str, Any]:
    """An enrollment as the API shows it, with its status on `on` in place of the
    status recorded."""
    e = dict(zip(_KEYS, row, strict=True))
    e["programs"] = e["programs"].split(",")
    e["status"] = enrollment_status_on(e["status"], date.fromisoformat(e["starts_on"]),
                                       date.fromisoformat(e["covered_until"]), on)
    e.pop("seq")
    return e


def agreement_enrollments(cur: Cursor, agreement_id: str, *, on: date, status: str | None,
                          after: int, limit: int, known_at: datetime | None = None
                          ) -> tuple[list[dict[str, Any]], int | None]:
    version, version_params = as_of(known_at)
    where, params = f"agreement_id = ? AND seq > ? AND {version}", [
        agreement_id, after, *version_params]
    if status:
        status_sql, status_params = rules_sql.enrollment_status(on)
        where += f" AND ({status_sql}) = ?"
        params += [*status_params, status]
    rows = cur.execute(
        f"SELECT {ENROLLMENT_COLUMNS} FROM rm_enrollments WHERE {where} "  # noqa: S608
        "ORDER BY seq LIMIT ?", (*params, limit + 1)).fetchall()
    items = [_enrollment(r, on) for r in rows[:limit]]
    return items, (rows[limit - 1][1] if len(rows) > limit else None)


def enrollment(cur: Cursor, agreement_id: str, nik: str, on: date,
               known_at: datetime | None = None) -> dict[str, Any] | None:
    """The worker's latest enrollment under the agreement, preferring one not voided."""
    version, version_params = as_of(known_at)
    row = cur.execute(
        f"SELECT {ENROLLMENT_COLUMNS} FROM rm_enrollments "  # noqa: S608
        f"WHERE agreement_id = ? AND nik = ? AND {version} "
        "ORDER BY CASE WHEN status = 'voided' THEN 0 ELSE 1 END DESC, seq DESC LIMIT 1",
        (agreement_id, nik, *version_params)).fetchone()
    return _enrollment(row, on) if row else None


_WORKER_KEYS = ("nik", "name", "birth_date", "sex", "occupation", "address", "deceased_on")


def worker(cur: Cursor, nik: str, on: date, scopes: list[str] | None,
           known_at: datetime | None = None) -> dict[str, Any] | None:
    """The worker's details and every enrollment visible in the scopes."""
    # One query, the worker's row beside each of its few enrollments, filtered by region
    # here: a region condition in the SQL can lead SQLite to a province's index instead
    # of the NIK's. The NIK itself in the join, not w.nik, for the same reason.
    version, params = as_of(known_at, "e")
    # An erased worker's NIK finds nothing: what is left of them are pseudonymous facts.
    rows = cur.execute(
        f"SELECT {', '.join('w.' + k for k in _WORKER_KEYS)}, "  # noqa: S608
        f"{', '.join('e.' + k for k in _KEYS)}, e.status FROM rm_workers w "
        f"LEFT JOIN rm_enrollments e ON e.nik = ? AND {version} "
        "WHERE w.nik = ? AND w.erased_at IS NULL ORDER BY e.seq", [nik, *params, nik]).fetchall()
    details, region = len(_WORKER_KEYS), len(_WORKER_KEYS) + _KEYS.index("region_code")
    shown = [r for r in rows if r[details] is not None
             and (scopes is None or in_any(scopes, r[region]))]
    if not rows:
        return None
    if scopes is not None and not (
            any(r[-1] != "voided" for r in shown) if known_at is None
            else visible_in(cur, nik, scopes)):
        return None
    return {**dict(zip(_WORKER_KEYS, rows[0][:details], strict=True)),
            "coverages": [_enrollment(r[details:-1], on) for r in shown]}


def visible_in(cur: Cursor, nik: str, scopes: list[str] | None) -> bool:
    """`Worker.visible_in` over the read model: a scoped token reads a worker only
    while an enrollment of it, not voided, lies under an agreement in its regions."""
    if scopes is None:
        return True
    # The NIK's few rows, their regions compared here (see `worker`).
    return any(in_any(scopes, code) for (code,) in cur.execute(
        "SELECT region_code FROM rm_enrollments WHERE nik = ? AND status != 'voided' "
        "AND valid_to IS NULL", (nik,)).fetchall())


def active_in_term(cur: Cursor, agreement_id: str, term_number: int) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in cur.execute(
        "SELECT nik, enrollment_id FROM rm_enrollments WHERE agreement_id = ? "
        "AND term_number = ? AND status = 'active' AND valid_to IS NULL ORDER BY seq",
        (agreement_id, term_number)).fetchall()]


def billable_workers(cur: Cursor, agreement_id: str, first_day: date, last_day: date,
                     known_at: datetime | None = None) -> int:
    """Workers an enrollment under the agreement covers on any day of the period."""
    version, version_params = as_of(known_at)
    covered, covered_params = rules_sql.covers(first_day, last_day)
    row = cur.execute(
        "SELECT COUNT(DISTINCT nik) FROM rm_enrollments WHERE agreement_id = ? "  # noqa: S608
        f"AND {covered} AND {version}",
        (agreement_id, *covered_params, *version_params)).one()
    return int(row[0])


def region_coverage(cur: Cursor, scope: str, on: date, known_at: datetime | None = None,
                    lapsed: Sequence[str] = ()) -> dict[str, Any]:
    """Distinct workers covered on `on` under agreements in the scope, by program; the
    `lapsed` agreements (unpaid contributions) cover no one that day."""
    covered_sql, params = rules_sql.covers(on, on)
    clause, scope_params = region_clause("region_code", [scope])
    version, version_params = as_of(known_at)
    covered = f"{covered_sql} AND {clause} AND {version}"
    params += [*scope_params, *version_params]
    if lapsed:
        covered += f" AND agreement_id NOT IN ({', '.join('?' for _ in lapsed)})"
        params += list(lapsed)
    # One row a worker (hashed once), not a COUNT(DISTINCT) per program (a sort each):
    # a province's workers are hundreds of thousands of rows at national scale.
    flags = ", ".join(f"MAX({p.lower()}) AS {p.lower()}" for p in PROGRAMS)
    sums = ", ".join(f"COALESCE(SUM({p.lower()}), 0)" for p in PROGRAMS)
    row = cur.execute(f"SELECT COUNT(*), {sums} FROM (SELECT nik, {flags} "  # noqa: S608
                      f"FROM rm_enrollments WHERE {covered} GROUP BY nik) w", params).one()
    agreements = cur.execute(
        "SELECT agreement_id, agreement_number, region_code, COUNT(DISTINCT nik) "  # noqa: S608
        f"FROM rm_enrollments WHERE {covered} "
        "GROUP BY agreement_id, agreement_number, region_code ORDER BY agreement_number",
        params).fetchall()
    return {
        "covered_workers": int(row[0]),
        "by_program": {p: int(n) for p, n in zip(PROGRAMS, row[1:], strict=True)},
        "agreements": [{"agreement_id": a[0], "agreement_number": a[1], "region_code": a[2],
                        "covered_workers": int(a[3])} for a in agreements],
    }
