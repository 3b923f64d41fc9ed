"""An auditor scoped to Kota Binjai (12.75) sees nothing of another region on any page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ELSEWHERE = ("Medan", "Serang", "Labuhanbatu")
MEDAN_COVERED_DAY = "2026-01-15"  # the Medan PKS ran from 1 September 2025 to 31 August 2026


def assert_nothing_of_elsewhere(page: Page, demo: Demo) -> None:
    shown = pages.text(page)
    for place in ELSEWHERE:
        assert place not in shown, f"{place} on {page.url}"
    for number in demo.numbers_outside("12.75"):
        assert number not in shown, f"{number} on {page.url}"
    assert demo.medan.name not in shown, f"the Medan worker's name on {page.url}"


def status(page: Page, path: str) -> int:
    answered = page.goto(path)
    assert answered is not None
    return answered.status


def test_a_binjai_auditor_gets_404_for_a_medan_worker_agreement_and_region(
        page: Page, demo: Demo, binjai_auditor: str) -> None:
    pages.log_in(page, binjai_auditor, then="/ui/check")
    for path in (f"/ui/workers/{demo.medan.nik}",
                 f"/ui/agreements/{demo.agreement_id('MOU/MDN/2025/08')}",
                 f"/ui/agreements/{demo.agreement_id('PKS/MDN/2025/01')}",
                 "/ui/regions/12.71"):
        assert status(page, path) == 404, path
        assert_nothing_of_elsewhere(page, demo)
    pages.screenshot(page, "scoped-auditor-medan-worker-404")


def test_a_binjai_auditor_sees_only_binjai_in_the_agreements_list_and_the_dashboard(
        page: Page, demo: Demo, binjai_auditor: str) -> None:
    pages.log_in(page, binjai_auditor)
    assert status(page, "/ui/agreements") == 200
    assert "MOU/BJ/2025/11" in pages.text(page)
    assert_nothing_of_elsewhere(page, demo)
    pages.screenshot(page, "scoped-auditor-agreements")

    assert status(page, "/ui/") == 200
    assert_nothing_of_elsewhere(page, demo)
    pages.screenshot(page, "scoped-auditor-dashboard")


def test_the_check_page_tells_a_binjai_auditor_nothing_about_a_covered_medan_worker(
        page: Page, demo: Demo, binjai_auditor: str) -> None:
    pages.log_in(page, binjai_auditor, then="/ui/check")
    page.goto(pages.check_url(demo.medan.nik, MEDAN_COVERED_DAY))
    # "No" (as far as the token's regions show), and no agreement, event or name of Medan's.
    expect(page.locator(".answer.no")).to_be_visible()
    expect(page.locator(".answer.yes")).to_have_count(0)
    expect(page.locator(".flag")).to_have_count(0)
    assert_nothing_of_elsewhere(page, demo)
    pages.screenshot(page, "scoped-auditor-check-medan")
