"""The question auditors come with, on the demo data: "was this worker covered on this
day, under which agreement, and was it recorded before or after the day?"."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Kota Binjai's MoU MOU/BJ/2025/11 covers its 5,000 workers from 10 November 2025
# to 31 December 2026.
COVERED_DAY, COVERED_DAY_ID = "2026-01-15", "15 Januari 2026"
BEFORE_THE_MOU = "2025-06-01"


def api_says_covered(demo: Demo, nik: str, on: str) -> bool:
    answer = demo.server.api("GET", f"/api/v1/workers/{nik}/coverage", params={"on": on})
    answer.raise_for_status()
    return bool(answer.json()["covered"])


def test_after_login_the_check_page_says_a_binjai_worker_was_covered_under_the_mou_in_indonesian(
        page: Page, demo: Demo) -> None:
    worker = demo.binjai
    assert api_says_covered(demo, worker.nik, COVERED_DAY)
    pages.log_in(page, demo.server.admin_token)
    pages.ask(page, worker.nik, COVERED_DAY)

    assert pages.html_lang(page) == "id"
    expect(page.locator(".answer.yes")).to_be_visible()
    expect(page.locator(".answer.no")).to_have_count(0)
    shown = pages.text(page)
    assert "MOU/BJ/2025/11" in shown
    assert COVERED_DAY_ID in shown  # the day, the Indonesian way
    # The events the answer rests on, each flagged recorded before / on / after the day:
    # the demo recorded everything today, long after 15 January 2026.
    flags = page.locator(".flag")
    assert flags.count() >= 1
    for i in range(flags.count()):
        classes = (flags.nth(i).get_attribute("class") or "").split()
        assert {"before", "same", "after"} & set(classes), classes
        assert flags.nth(i).inner_text().strip()
    expect(page.locator(".flag.after").first).to_be_visible()
    pages.screenshot(page, "check-covered-id")


def test_the_check_page_says_not_covered_on_a_day_before_the_mou(page: Page, demo: Demo) -> None:
    worker = demo.binjai
    assert not api_says_covered(demo, worker.nik, BEFORE_THE_MOU)
    pages.log_in(page, demo.server.admin_token)
    pages.ask(page, worker.nik, BEFORE_THE_MOU)

    expect(page.locator(".answer.no")).to_be_visible()
    expect(page.locator(".answer.yes")).to_have_count(0)
    assert pages.html_lang(page) == "id"
    pages.screenshot(page, "check-not-covered-id")
