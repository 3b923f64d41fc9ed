"""Who may read a worker: the aggregate's rule and the read model's SQL agree.

`Worker.visible_in` decides what a refusal may reveal on writes;
`coverage_queries.visible_in` decides what reads show. One table of cases
runs through both, on both engines.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from projections import coverage_queries
from registry.domain.context import Context
from tests.builders import CTX, enrollment_request, nik, sign_labusel_pks

SCOPES: list[tuple[str, ...] | None] = [None, ("12.22",), ("12",), ("12.71",), ("36.73",),
                                        ("36.73", "12.71")]


def story(registry: Any, name: str) -> str:
    """A worker in one of the states that matter; returns its NIK."""
    labusel = sign_labusel_pks(registry)
    medan = sign_labusel_pks(registry, agreement_number="PKS-MEDAN-2022", region_code="12.71",
                             region_name="Kota Medan")
    number = nik(7)
    first = registry.app.enroll_worker(CTX, labusel, enrollment_request(7))
    if name == "enrolled in 12.22":
        return number
    if name == "voided in 12.22":
        registry.app.void_enrollment(CTX, labusel, number, "salah input")
    elif name == "ended in 12.22":
        registry.app.disenroll_worker(CTX, labusel, number, ends_on=date(2022, 10, 31),
                                      reason_code="MOVED_AWAY")
    elif name == "voided in 12.22, enrolled in 12.71":
        registry.app.void_enrollment(CTX, labusel, number, "salah input")
        registry.app.enroll_worker(CTX, medan, enrollment_request(7))
    assert first
    return number


@pytest.mark.parametrize("case", ["enrolled in 12.22", "voided in 12.22", "ended in 12.22",
                                  "voided in 12.22, enrolled in 12.71"])
def test_the_aggregate_and_the_read_model_agree_on_who_may_read_a_worker(
        registry: Any, case: str) -> None:
    number = story(registry, case)
    aggregate = registry.app.get_worker(number)
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        key = str(registry.app.worker_id(number))  # the read models' pseudonym of the NIK
        in_sql = [coverage_queries.visible_in(cur, key, list(s) if s else None)
                  for s in SCOPES]
    assert [aggregate.visible_in(s) for s in SCOPES] == in_sql
    expected = {
        "enrolled in 12.22": [True, True, True, False, False, False],
        "voided in 12.22": [True, False, False, False, False, False],
        "ended in 12.22": [True, True, True, False, False, False],
        "voided in 12.22, enrolled in 12.71": [True, False, True, True, False, True],
    }[case]
    assert in_sql == expected


def test_a_context_without_regions_sees_every_worker() -> None:
    assert Context("admin").regions is None
