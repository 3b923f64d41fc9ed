"""Queries behind the agreement, region and dashboard pages.

Each counts in SQL, one scan per page part: the Binjai MOU alone has 5,000
enrollments, and a page may not read them one by one. Counting a month (or a
day, or a region) takes the rule from `projections.rules_sql` and the scopes
from `region_clause`, as the JSON API's reads do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from projections import rules_sql
from projections.agreements import list_agreements, region_clause

# The history read model's visibility rule for a scoped token, and its reader of
# a page of events: imported, not restated, so that these pages show exactly
# what `/api/v1/events` and `/api/v1/agreements/<id>/history` show.
from projections.history_queries import visible_clause as visible_events
from registry.store.db import Cursor

Period = tuple[date, date]  # first and last day, both counted
# Columns one query counts at most; a longer list is counted in several scans.
CHUNK = 24


def _flags_per_worker(cur: Cursor, where: str, params: Sequence[Any],
                      cases: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
    """For each (condition, parameters) of `cases`: how many distinct workers have a
    current enrollment row matching `where` and the condition.

    COUNT(DISTINCT CASE ...) per column sorts the rows once per column; grouping
    by worker first sorts them once (about six times faster on SQLite).
    """
    counts: list[int] = []
    for start in range(0, len(cases), CHUNK):
        chunk = cases[start:start + CHUNK]
        inner = ", ".join(f"MAX(CASE WHEN {sql} THEN 1 ELSE 0 END) AS f{i}"
                          for i, (sql, _) in enumerate(chunk))
        outer = ", ".join(f"COALESCE(SUM(f{i}), 0)" for i in range(len(chunk)))
        row = cur.execute(
            f"SELECT {outer} FROM (SELECT nik, {inner} FROM rm_enrollments "  # noqa: S608
            f"WHERE valid_to IS NULL AND {where} GROUP BY nik) w",
            [*(p for _, case_params in chunk for p in case_params), *params]).one()
        counts += [int(n) for n in row]
    return counts


def workers_per_period(cur: Cursor, agreement_id: str, periods: Sequence[Period]) -> list[int]:
    """Workers an enrollment under the agreement covers on any day of each period
    (`coverage_queries.billable_workers` of each, counted in one scan)."""
    cases = [rules_sql.covers(first, last) for first, last in periods]
    return _flags_per_worker(cur, "agreement_id = ?", [agreement_id], cases)


def covered_on_days(cur: Cursor, scope: str, days: Sequence[date],
                    lapsed: Mapping[date, Sequence[str]] | None = None) -> list[int]:
    """Distinct workers covered on each day in the region (a province covers its
    regencies): `coverage_queries.region_coverage`'s count, for several days at once;
    the agreements `lapsed` names for a day (unpaid contributions) cover no one then."""
    clause, params = region_clause("region_code", [scope])
    cases = []
    for day in days:
        covered, covered_params = rules_sql.covers(day, day)
        cases.append(_leaving_out(covered, covered_params, (lapsed or {}).get(day, ())))
    return _flags_per_worker(cur, clause, params, cases)


def _leaving_out(sql: str, params: Sequence[Any], agreement_ids: Sequence[str]
                 ) -> tuple[str, list[Any]]:
    if not agreement_ids:
        return sql, list(params)
    marks = ", ".join("?" for _ in agreement_ids)
    return f"({sql} AND agreement_id NOT IN ({marks}))", [*params, *agreement_ids]


def covered_in_regions(cur: Cursor, codes: Sequence[str], on: date,
                       lapsed: Sequence[str] = ()) -> list[int]:
    """Distinct workers covered on `on` in each region (a province covers its regencies),
    leaving out the `lapsed` agreements."""
    if not codes:
        return []
    covered, covered_params = _leaving_out(*rules_sql.covers(on, on), lapsed)
    within, within_params = region_clause("region_code", list(codes))
    return _flags_per_worker(cur, f"{covered} AND {within}", [*covered_params, *within_params],
                             [region_clause("region_code", [code]) for code in codes])


def regions_with_agreements(cur: Cursor, scopes: list[str] | None) -> list[dict[str, str]]:
    """Every region code an agreement in the scopes is signed for, with its name as
    the first agreement there gives it, in code order."""
    where, params = region_clause("region_code", scopes) if scopes is not None else ("1 = 1", [])
    rows = cur.execute(
        "SELECT a.region_code, a.doc FROM rm_agreements a WHERE a.seq IN ("  # noqa: S608
        f"SELECT MIN(seq) FROM rm_agreements WHERE {where} GROUP BY region_code) "
        "ORDER BY a.region_code", params).fetchall()
    return [{"region_code": code, "region_name": json.loads(doc)["region_name"]}
            for code, doc in rows]


def region_name(cur: Cursor, code: str) -> str | None:
    row = cur.execute("SELECT doc FROM rm_agreements WHERE region_code = ? ORDER BY seq "
                      "LIMIT 1", (code,)).fetchone()
    return json.loads(row[0])["region_name"] if row else None


def newest_positions(cur: Cursor, scopes: list[str] | None, limit: int) -> list[int]:
    """The positions of the newest `limit` events a token with `scopes` may see."""
    visible, params = visible_events(scopes)
    rows = cur.execute(f"SELECT h.position FROM rm_history h WHERE {visible} "  # noqa: S608
                       "ORDER BY h.position DESC LIMIT ?", (*params, limit)).fetchall()
    return [int(r[0]) for r in rows]


def niks_at(cur: Cursor, positions: Sequence[int]) -> dict[int, str]:
    """The NIK of the worker each event (by position) is about, where it is about one."""
    if not positions:
        return {}
    marks = ", ".join("?" for _ in positions)
    rows = cur.execute(f"SELECT position, nik FROM rm_history WHERE position IN ({marks}) "  # noqa: S608
                       "AND nik IS NOT NULL", tuple(positions)).fetchall()
    return {int(p): n for p, n in rows}


def find_agreements(cur: Cursor, *, on: date, scopes: list[str] | None, number: str | None,
                    region_code: str | None = None, kind: str | None = None,
                    parent_id: str | None = None, status: str | None = None, after: int = 0,
                    limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """`list_agreements`, and with `number`, only agreements whose number contains it
    (letter case aside)."""
    if not number:
        return list_agreements(cur, on=on, scopes=scopes, region_code=region_code, kind=kind,
                               parent_id=parent_id, status=status, after=after, limit=limit)
    where: list[str] = ["a.seq > ?", "UPPER(a.agreement_number) LIKE ? ESCAPE '!'"]
    escaped = number.upper().replace("!", "!!").replace("%", "!%").replace("_", "!_")
    params: list[Any] = [after, f"%{escaped}%"]
    for scope_list in ([region_code] if region_code else None, scopes):
        if scope_list is not None:
            clause, scope_params = region_clause("a.region_code", scope_list)
            where.append(clause)
            params += scope_params
    for column, value in (("a.kind", kind), ("a.parent_id", parent_id)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if status:
        status_sql, status_params = rules_sql.agreement_status(on)
        where.append(f"({status_sql}) = ?")
        params += [*status_params, status]
    rows = cur.execute(
        "SELECT a.seq, a.doc FROM rm_agreements a WHERE " + " AND ".join(where)  # noqa: S608
        + " ORDER BY a.seq LIMIT ?", (*params, limit + 1)).fetchall()
    docs = [json.loads(doc) for _, doc in rows[:limit]]
    return docs, (rows[limit - 1][0] if len(rows) > limit else None)


def newest_checkpoint(cur: Cursor) -> dict[str, Any] | None:
    """The largest signed checkpoint kept (`registry.store.checkpoints`), when it was
    signed and how many witnesses' cosignatures are held for it."""
    row = cur.execute("SELECT c.tree_size, c.root, c.signed_at, (SELECT COUNT(*) "
                      "FROM log_cosignatures s WHERE s.tree_size = c.tree_size) "
                      "FROM log_checkpoints c ORDER BY c.tree_size DESC LIMIT 1").fetchone()
    if row is None:
        return None
    return {"tree_size": int(row[0]), "root": str(row[1]), "signed_at": str(row[2]),
            "cosignatures": int(row[3])}
