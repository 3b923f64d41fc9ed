"""Every page that shows a worker's details is in the worker's access log, as the
API's answers are."""

from __future__ import annotations

from typing import Any

from tests.builders import enroll_worker, sign_labusel_pks

PAGES = [
    ("/ui/workers/{nik}", "/ui/workers/<nik>"),
    ("/ui/workers/{nik}/certificate?on=2022-11-15", "/ui/workers/<nik>/certificate"),
    ("/ui/check?nik={nik}&on=2022-11-15", "/ui/check"),
    ("/ui/agreements/{agreement}", "/ui/agreements/<uuid:agreement_id>"),
    ("/ui/", "/ui/"),
    ("/ui/audit/backdated", "/ui/audit/backdated"),
]


def test_each_page_that_shows_the_worker_is_recorded_with_the_token_that_read_it(
        browser_as: Any, registry: Any) -> None:
    agreement = sign_labusel_pks(registry)
    nik = enroll_worker(registry, agreement, 1)
    registry.projections.catch_up()
    browser = browser_as("auditor")
    for page, _ in PAGES:
        answer = browser.get(page.format(nik=nik, agreement=agreement))
        assert answer.status_code == 200, answer.get_data(as_text=True)
    registry.access.flush()
    records, _ = registry.access.of_worker(str(registry.app.worker_id(nik)), 0, 50)
    assert [(r["role"], r["route"], r["outcome"]) for r in records] == [
        ("auditor", route, "shown") for _, route in PAGES]
