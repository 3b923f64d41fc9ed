"""Logging in to the pages with a token, and what ends a session."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.conftest import csrf_of, log_in, text_of

pytestmark = pytest.mark.usefixtures("registry")


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The pages' sessions and scopes, not the engines: the reads they call are held to
    both engines by tests/integration and the other page tests."""
    return sqlite_url


def test_the_root_and_every_page_send_a_stranger_to_the_login_form(client: Any) -> None:
    assert client.get("/").headers["Location"] == "/ui/"
    answer = client.get("/ui/check?nik=1222030302810001")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/ui/login?next=")


def test_the_login_form_asks_for_a_token_with_a_csrf_token(client: Any) -> None:
    html = client.get("/ui/login").get_data(as_text=True)
    assert 'name="token"' in html and csrf_of(html)
    assert '<html lang="id">' in html


def test_a_good_token_opens_a_session_in_a_private_cookie(app: Any, registry: Any) -> None:
    client = app.test_client()
    answer = log_in(client, registry.tokens.create("siti", "auditor", []))
    assert answer.status_code == 303 and answer.headers["Location"] == "/ui/"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert "Secure" not in cookie  # plain HTTP here; behind HTTPS it is Secure
    assert "siti (auditor)" in text_of(client.get("/ui/check"))


def test_behind_https_the_session_cookie_is_secure(app: Any, registry: Any) -> None:
    client = app.test_client()
    form = client.get("/ui/login", base_url="https://localhost").get_data(as_text=True)
    answer = client.post("/ui/login", base_url="https://localhost", data={
        "token": registry.tokens.create("sec", "auditor", []), "csrf_token": csrf_of(form)})
    assert "Secure" in answer.headers["Set-Cookie"]


def test_the_session_keeps_a_hash_of_the_token_never_the_token(app: Any, registry: Any) -> None:
    import base64
    import zlib

    client = app.test_client()
    token = registry.tokens.create("hash", "auditor", [])
    cookie = log_in(client, token).headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert token not in text and "token" in text


@pytest.mark.parametrize("token", ["", "rgt_not-a-token"])
def test_an_unknown_token_gets_the_form_again_with_a_message(client: Any, token: str) -> None:
    form = client.get("/ui/login").get_data(as_text=True)
    answer = client.post("/ui/login", data={"token": token, "csrf_token": csrf_of(form)})
    assert answer.status_code == 401
    assert "Token ini tidak dikenal atau sudah dicabut." in text_of(answer)
    assert 'name="token"' in answer.get_data(as_text=True)


def test_a_revoked_token_cannot_log_in(client: Any, registry: Any) -> None:
    token = registry.tokens.create("gone", "auditor", [])
    registry.tokens.revoke("gone")
    assert log_in(client, token).status_code == 401


def test_a_witness_token_does_not_open_the_pages(client: Any, registry: Any) -> None:
    assert log_in(client, registry.tokens.create("w", "witness", [])).status_code == 401


def test_revoking_the_token_ends_its_sessions_at_once(browser_as: Any, registry: Any) -> None:
    browser = browser_as("auditor")
    assert browser.get("/ui/check").status_code == 200
    registry.tokens.revoke(registry.tokens.list()[-1]["name"])
    answer = browser.get("/ui/check")
    assert answer.status_code == 302 and "/ui/login" in answer.headers["Location"]
    assert "expired=1" in answer.headers["Location"]
    follow = browser.get(answer.headers["Location"])
    assert "Sesi Anda telah berakhir; silakan masuk kembali." in text_of(follow)


def test_a_session_older_than_its_lifetime_returns_to_the_login_page(
        browser_as: Any, app: Any) -> None:
    browser = browser_as("auditor")
    with browser.session_transaction("/ui/") as session:
        session["since"] -= app.extensions["registry"].settings.ui_session_minutes * 60 + 1
    assert "/ui/login" in browser.get("/ui/check").headers["Location"]


def test_logging_out_needs_the_csrf_token_and_ends_the_session(browser_as: Any) -> None:
    browser = browser_as("auditor")
    refused = browser.post("/ui/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 400
    assert browser.get("/ui/check").status_code == 200  # still logged in: nothing changed
    html = browser.get("/ui/check").get_data(as_text=True)
    assert browser.post("/ui/logout", data={"csrf_token": csrf_of(html)}).status_code == 303
    assert browser.get("/ui/check").status_code == 302


def test_a_login_without_the_csrf_token_is_refused(client: Any, registry: Any) -> None:
    token = registry.tokens.create("nocsrf", "auditor", [])
    answer = client.post("/ui/login", data={"token": token})
    assert answer.status_code == 400
    assert "tidak ada yang diubah" in text_of(answer)
    assert client.get("/ui/check").status_code == 302


def test_after_login_the_page_asked_for_opens_but_never_another_site(
        client: Any, registry: Any) -> None:
    token = registry.tokens.create("next", "auditor", [])
    for asked, lands in (("/ui/check?on=2023-01-01", "/ui/check?on=2023-01-01"),
                         ("https://evil.example/", "/ui/"), ("//evil.example/", "/ui/")):
        form = client.get("/ui/login").get_data(as_text=True)
        answer = client.post("/ui/login", data={"token": token, "csrf_token": csrf_of(form),
                                                "next": asked})
        assert answer.headers["Location"] == lands


def test_the_json_api_never_sets_a_session_cookie(client: Any, admin: Any) -> None:
    assert "Set-Cookie" not in admin.get("/api/v1/agreements").headers


def test_pages_are_not_kept_by_caches(browser_as: Any) -> None:
    answer = browser_as("auditor").get("/ui/check")
    assert answer.headers["Cache-Control"] == "no-store"


def test_english_is_kept_in_the_session_until_switched_back(browser_as: Any) -> None:
    browser = browser_as("auditor")
    assert '<html lang="en">' in browser.get("/ui/check?lang=en").get_data(as_text=True)
    english = browser.get("/ui/check")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Was this worker covered?" in text_of(english)
    indonesian = browser.get("/ui/check?lang=id")
    assert "Apakah pekerja ini terlindungi?" in text_of(indonesian)
