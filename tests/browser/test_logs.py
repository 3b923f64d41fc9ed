"""A NIK in a page's address never reaches the server's log in full."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Sixteen digits standing alone (not inside a hexadecimal request id).
WHOLE_NIK = re.compile(r"(?<![0-9A-Za-z])[0-9]{16}(?![0-9A-Za-z])")


def test_niks_in_page_addresses_never_appear_in_full_in_the_server_log(
        page: Page, demo: Demo, binjai_auditor: str) -> None:
    binjai, medan = demo.binjai.nik, demo.medan.nik
    # Logged out: the address waits in the login page's `next`.
    page.goto(f"/ui/workers/{binjai}?on=2026-01-15")
    assert "/ui/login" in page.url
    pages.log_in(page, binjai_auditor, then=f"/ui/workers/{binjai}")
    for path in (f"/ui/workers/{binjai}", pages.check_url(binjai, "2026-01-15"),
                 f"/ui/workers/{medan}",  # outside the token's region: refused
                 pages.check_url(medan, "2026-01-15"),
                 pages.check_url(binjai, "2026-02-30"),  # a field error
                 f"/ui/workers/{binjai}/certificate?on=2026-01-15"):
        page.request.get(path)

    log = demo.server.log_text()
    assert '"route": "/ui/workers/<nik>"' in log, "the page requests are logged"
    assert binjai not in log and medan not in log
    assert not WHOLE_NIK.findall(log), WHOLE_NIK.findall(log)[:5]
