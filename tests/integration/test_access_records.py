"""The access records kept per worker, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from registry.store.access import Access

PROBER = Access(actor="registrar-labusel", role="registrar",
                route="/api/v1/agreements/<uuid:agreement_id>/enrollments/batch",
                request_id="req-1", purpose="uji")


def test_refusals_are_kept_per_worker_and_counted_per_token(registry: Any) -> None:
    log = registry.access
    log.record(PROBER, [("w-1", "refused: identity_mismatch"),
                        ("w-2", "refused: worker_deceased")])
    log.record(PROBER, [("w-1", "refused: already_covered")])
    log.record(Access("admin", "admin", "/api/v1/workers/<string:nik>", "req-2"),
               [("w-1", "shown")])
    assert log.refusals_within_the_hour("registrar-labusel") == 3
    assert log.refusals_within_the_hour("admin") == 0
    first, after = log.of_worker("w-1", 0, 2)
    assert [r["outcome"] for r in first] == ["refused: identity_mismatch",
                                             "refused: already_covered"]
    assert first[0]["purpose"] == "uji" and first[0]["request_id"] == "req-1"
    rest, end = log.of_worker("w-1", after, 2)
    assert ([r["actor"] for r in rest], end) == (["admin"], None)
    assert log.of_worker("w-3", 0, 10) == ([], None)


def test_nothing_is_written_for_no_refusals(registry: Any) -> None:
    registry.access.record(PROBER, [])
    assert registry.access.refusals_within_the_hour(PROBER.actor) == 0
