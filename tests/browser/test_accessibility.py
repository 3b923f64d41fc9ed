"""axe-core (vendored, tests/browser/vendor) finds no serious or critical problem on any
page; a screenshot of each page is kept."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

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
        pages.log_in(page, demo.server.admin_token, then="/ui/check")
        url, expected = PAGES[name]
        path = url(demo)
    answered = page.goto(path)
    assert answered is not None
    pages.screenshot(page, f"page-{name}")
    assert answered.status == expected, f"{path}: {answered.status}"

    found = pages.serious_violations(page)
    assert not found, "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in found)


def focused(page: Page) -> str:
    """The focused element, as `tag#id[name]`."""
    return str(page.evaluate("""() => { const e = document.activeElement;
        return `${e.tagName.toLowerCase()}#${e.id}[${e.getAttribute('name') || ''}]`; }"""))


def test_the_check_question_can_be_asked_with_the_keyboard_alone(page: Page, demo: Demo) -> None:
    pages.log_in(page, demo.server.admin_token, then="/ui/check")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#main", \
        "the first Tab stop skips to the content"
    for _ in range(40):
        if focused(page).endswith("[nik]"):
            break
        page.keyboard.press("Tab")
    assert focused(page).endswith("[nik]"), "Tab reaches the NIK field"
    page.keyboard.type(demo.binjai.nik)
    page.keyboard.press("Enter")
    expect(page.locator(".answer")).to_be_visible()
    assert demo.binjai.nik in page.url
