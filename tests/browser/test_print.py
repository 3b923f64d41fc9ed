"""The worker page and the check page print to A4 (Chromium's own PDF printer)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

A4_WIDTH_PX = 794  # 210 mm at 96 px per inch


@pytest.mark.parametrize("which", ["worker", "check"])
def test_the_page_prints_to_an_a4_pdf_as_wide_as_the_paper(
        admin_page: Page, demo: Demo, which: str) -> None:
    page = admin_page
    path = (f"/ui/workers/{demo.binjai.nik}?on=2026-01-15" if which == "worker"
            else pages.check_url(demo.binjai.nik, "2026-01-15"))
    answered = page.goto(path)
    assert answered is not None and answered.status == 200

    pdf = page.pdf(format="A4", print_background=True)
    pages.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (pages.SCREENSHOTS / f"print-{which}.pdf").write_bytes(pdf)
    assert pages.pdf_pages(pdf) >= 1

    # With the print stylesheet, nothing sticks out to the right of an A4 sheet.
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    page.emulate_media(media="print")
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    pages.screenshot(page, f"print-{which}")
    assert overflow <= A4_WIDTH_PX, f"the printed {which} page is {overflow}px wide"
