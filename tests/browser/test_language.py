"""Bahasa Indonesia by default; English with ?lang=en, kept in the session; back with
?lang=id."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def logout_label(page: Page) -> str:
    return page.locator(f"{pages.LOGOUT_FORM} [type=submit]").inner_text().strip()


def test_english_is_kept_on_the_next_pages_until_indonesian_is_asked_for(
        admin_page: Page, demo: Demo) -> None:
    page = admin_page
    assert pages.html_lang(page) == "id"
    assert logout_label(page) == pages.indonesian("Log out")

    page.goto("/ui/check?lang=en")
    assert pages.html_lang(page) == "en"
    assert logout_label(page) == "Log out"

    page.goto(pages.check_url(demo.binjai.nik, "2026-01-15"))  # no lang: the session's
    assert pages.html_lang(page) == "en"
    assert "15 January 2026" in pages.text(page)
    pages.screenshot(page, "check-covered-en")

    page.goto("/ui/agreements")
    assert pages.html_lang(page) == "en"

    page.goto("/ui/agreements?lang=id")
    assert pages.html_lang(page) == "id"
    page.goto(pages.check_url(demo.binjai.nik, "2026-01-15"))
    assert pages.html_lang(page) == "id"
    assert "15 Januari 2026" in pages.text(page)
    assert logout_label(page) == pages.indonesian("Log out")


def test_the_language_chosen_on_the_login_page_is_kept_after_login(
        page: Page, demo: Demo) -> None:
    page.goto("/ui/login?lang=en")
    assert pages.html_lang(page) == "en"
    pages.log_in(page, demo.server.admin_token, then="/ui/check")
    assert pages.html_lang(page) == "en"
    # The switch in the page header goes back to Bahasa Indonesia.
    page.locator("a[hreflang=id]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
