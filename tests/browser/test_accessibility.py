"""axe-core (vendored, tests/browser/vendor) finds no serious or critical problem on any
page; a screenshot of each page is kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ON = "2026-01-15"
PAGES: dict[str, tuple[Callable[[Demo], str], int]] = {
    "dashboard": (lambda d: "/ui/", 200),
    "agreements": (lambda d: "/ui/agreements", 200),
    "agreement": (lambda d: f"/ui/agreements/{d.agreement_id('MOU/BJ/2025/11')}", 200),
    "agreement-pks": (lambda d: f"/ui/agreements/{d.agreement_id('PKS/MDN/2025/01')}", 200),
    "worker": (lambda d: f"/ui/workers/{d.binjai.nik}", 200),
    "check": (lambda d: pages.check_url(d.binjai.nik, ON), 200),
    "check-errors": (lambda d: pages.check_url("12345", "2026-02-30"), 422),
    "backdated": (lambda d: "/ui/audit/backdated", 200),
    "integrity": (lambda d: "/ui/integrity", 200),
    "region": (lambda d: "/ui/regions/12.75", 200),
    "not-found": (lambda d: "/ui/workers/1275010101010001", 404),
}


@pytest.mark.parametrize("name", [*PAGES, "login"])
def test_axe_finds_no_serious_problem_on_the_page(axe_page: Page, demo: Demo, name: str) -> None:
    page = axe_page
    if name == "login":
        path, expected = "/ui/login", 200
    else:
        pages.log_in(page, demo.server.admin_token)
        url, expected = PAGES[name]
        path = url(demo)
    answered = page.goto(path)
    assert answered is not None
    pages.screenshot(page, f"page-{name}")
    assert answered.status == expected, f"{path}: {answered.status}"

    found = pages.serious_violations(page)
    assert not found, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found)
