"""Bad input gets a page in the reader's language, never a stack trace, and changes
nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.conftest import NewContext
from tests.browser.servers import REVOCABLE, Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# The pages' own messages (api/ui/login.py, api/ui/forms.py), in English; the Indonesian
# is the catalogue's.
UNKNOWN_TOKEN = "This token is unknown or has been revoked."
BAD_NIK = "A NIK is 16 digits; this one is not."
BAD_DATE = "Enter a date as YYYY-MM-DD, for example 2022-10-04."


def in_language(message: str, language: str) -> str:
    return message if language == "en" else pages.indonesian(message)


def no_stack_trace(page: Page) -> None:
    shown = page.content()
    for trace in ("Traceback", "Internal Server Error", 'File "'):
        assert trace not in shown


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_an_unknown_token_gets_the_login_form_again_with_a_message(
        new_context: NewContext, javascript: bool) -> None:
    page = new_context(java_script_enabled=javascript).new_page()
    page.goto("/ui/login")
    page.locator("input[name=token]").fill("rgt_this-token-was-never-made")
    page.locator("form:has(input[name=token]) [type=submit]").click()

    expect(page.get_by_role("alert")).to_have_text(in_language(UNKNOWN_TOKEN, "id"))
    expect(page.locator("input[name=token]")).to_be_visible()
    expect(page.locator(pages.LOGOUT_FORM)).to_have_count(0)
    no_stack_trace(page)
    pages.screenshot(page, f"login-unknown-token-{'js' if javascript else 'nojs'}")


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_bad_nik_typed_into_the_check_form_shows_the_field_error_in_the_page_language(
        admin_page: Page, language: str) -> None:
    page = admin_page
    page.goto(f"/ui/check?lang={language}")
    page.locator("input[name=nik]").fill("12345")
    page.locator("input[name=on]").fill("2026-01-15")
    page.locator("form:has(input[name=nik]) [type=submit]").click()

    expect(page.locator(".field-error")).to_have_text(in_language(BAD_NIK, language))
    expect(page.locator("input[name=nik]")).to_have_value("12345")  # kept, to correct it
    assert pages.html_lang(page) == language
    no_stack_trace(page)
    pages.screenshot(page, f"check-bad-nik-{language}")


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_impossible_date_on_the_check_page_shows_the_field_error_in_the_page_language(
        admin_page: Page, demo: Demo, language: str) -> None:
    page = admin_page
    answered = page.goto(pages.check_url(demo.binjai.nik, "2026-02-30", lang=language))
    assert answered is not None and answered.status in (400, 422)
    expect(page.locator(".field-error")).to_have_text(in_language(BAD_DATE, language))
    expect(page.locator(".answer")).to_have_count(0)
    no_stack_trace(page)


@pytest.mark.parametrize("forged", [{"csrf_token": "forged"}, {}], ids=["forged", "missing"])
def test_a_logout_post_without_a_valid_csrf_token_is_refused_and_the_session_stays(
        admin_page: Page, forged: dict[str, str | float | bool]) -> None:
    page = admin_page
    refused = page.request.post("/ui/logout", form=forged, max_redirects=0)
    assert refused.status in (400, 403), refused.status

    answered = page.goto("/ui/check")
    assert answered is not None and answered.status == 200
    assert "/ui/login" not in page.url
    expect(page.locator(pages.LOGOUT_FORM)).to_be_visible()


def test_a_login_post_without_a_valid_csrf_token_starts_no_session(
        page: Page, demo: Demo) -> None:
    page.goto("/ui/login")  # the session cookie the form belongs to
    refused = page.request.post("/ui/login", max_redirects=0, form={
        "token": demo.server.admin_token, "csrf_token": "forged", "next": "/ui/check"})
    assert refused.status in (400, 403), refused.status

    page.goto("/ui/check")
    assert "/ui/login" in page.url
    expect(page.locator(pages.LOGOUT_FORM)).to_have_count(0)


def test_a_revoked_tokens_session_ends_and_the_next_page_is_the_login_form(
        page: Page, demo: Demo) -> None:
    pages.log_in(page, demo.server.tokens["revocable"], then="/ui/check")
    demo.server.revoke(REVOCABLE)

    page.reload()
    assert "/ui/login" in page.url
    expect(page.locator("input[name=token]")).to_be_visible()
    expect(page.locator(pages.LOGOUT_FORM)).to_have_count(0)
    no_stack_trace(page)
