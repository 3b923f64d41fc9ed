"""With JavaScript off (htmx never runs) the pages still work: plain forms and links."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.browser.conftest import NewContext
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_without_javascript_an_auditor_logs_in_and_learns_a_worker_was_covered(
        new_context: NewContext, demo: Demo) -> None:
    page = new_context(java_script_enabled=False).new_page()
    pages.log_in(page, demo.server.admin_token)
    pages.ask(page, demo.binjai.nik, "2026-01-15")

    expect(page.locator(".answer.yes")).to_be_visible()
    assert "MOU/BJ/2025/11" in pages.text(page)
    assert "/ui/check?" in page.url  # a plain GET form: the question is in the address
    pages.screenshot(page, "no-javascript-check")


def test_without_javascript_the_language_switch_and_logout_work(
        new_context: NewContext, demo: Demo) -> None:
    page = new_context(java_script_enabled=False).new_page()
    pages.log_in(page, demo.server.admin_token)
    page.locator("a[hreflang=en]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(f"{pages.LOGOUT_FORM} [type=submit]").click()
    expect(page.locator("input[name=token]")).to_be_visible()
    assert "/ui/login" in page.url
