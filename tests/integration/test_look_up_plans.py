"""A look-up by NIK reads the NIK's few rows, whatever the token's regions.

SQLite keeps no statistics here (no ANALYZE), so given both a NIK and a region
condition it may take the region's index and read every enrollment of a province:
in a national registry, hundreds of thousands of rows for one look-up. The queries
behind a look-up by a region-scoped token must search the enrollments by NIK.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from projections import coverage_queries
from registry.bootstrap import Registry
from registry.config import Settings
from tests.builders import enroll_worker, sign_labusel_pks


class Recording:
    """A cursor that keeps each statement it runs."""

    def __init__(self, cursor: Any) -> None:
        self.cursor, self.statements = cursor, []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.statements.append((sql, params))
        return self.cursor.execute(sql, params)


@pytest.mark.parametrize("scopes", [["12"], ["12.22"], ["12", "36.73"], None])
def test_a_look_up_by_nik_searches_the_enrollments_by_nik(tmp_path: Any,
                                                           scopes: list[str] | None) -> None:
    registry = Registry.open(Settings.from_env(
        {"REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/registry.db"}))
    try:
        worker_nik = enroll_worker(registry, sign_labusel_pks(registry), 1)
        registry.projections.catch_up()
        pseudonym = str(registry.app.worker_id(worker_nik))
        with registry.store.transaction() as cur:
            recording = Recording(cur)
            found = coverage_queries.worker(recording, pseudonym, date(2022, 11, 1), scopes)
            assert found is not None and len(found["coverages"]) == 1
            coverage_queries.worker(recording, pseudonym, date(2022, 11, 1), scopes,
                                    known_at=datetime.now(UTC))  # as recorded by now
            assert coverage_queries.visible_in(recording, pseudonym, scopes)
            plans = [(sql, [row[3] for row in cur.execute("EXPLAIN QUERY PLAN " + sql,
                                                          params).fetchall()])
                     for sql, params in recording.statements]
    finally:
        registry.close()
    searches = [(sql, step) for sql, steps in plans for step in steps
                if step.startswith(("SEARCH e ", "SEARCH rm_enrollments"))]
    assert searches and all("rm_enrollments_nik" in step for _, step in searches), searches
