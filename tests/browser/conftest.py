"""Real-browser tests of the pages: Debian's Chromium, driven by Playwright for Python.

Chromium is the system's (`/usr/bin/chromium`, from `apt-get install chromium`, or
REGISTRY_TEST_CHROMIUM), never one `playwright install` downloads. Without it the
tests are skipped, except under CI, where they fail (as the PostgreSQL cases do,
tests/databases.py). Each pytest-xdist process starts one `registry serve` on the
demo data and one browser, for the whole session; each test gets fresh browser
contexts (cookies, session), so tests never share a login.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser import pages
from tests.browser.servers import Demo, load_demo

DEFAULT_CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)


def chromium_executable() -> str:
    path = os.environ.get("REGISTRY_TEST_CHROMIUM") or DEFAULT_CHROMIUM
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    message = (f"no Chromium at {path}: `apt-get install -y chromium` (Debian), or set "
               "REGISTRY_TEST_CHROMIUM to a Chromium binary; never `playwright install`")
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run the browser tests)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return chromium_executable()


@pytest.fixture(scope="session")
def demo(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`registry demo` on a fresh SQLite file, served by `registry serve` (this process's)."""
    base = tmp_path_factory.getbasetemp()
    # pytest-xdist's workers of one run share their basetemp's parent; a lone pytest's
    # parent is shared with other runs, so it keeps the demo in its own.
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    loaded = load_demo(tmp_path_factory.mktemp("browser-demo"), shared)
    yield loaded
    loaded.server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox will not start.
        launched = playwright.chromium.launch(executable_path=chromium_path,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report

NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, demo: Demo,
                request: pytest.FixtureRequest) -> Iterator[NewContext]:
    """new_context(**playwright_options) -> a fresh context on the demo server.

    Every page in it is watched: an uncaught script error, a refusal by the pages'
    Content-Security-Policy or a static file that fails to load fails the test.
    A failed test leaves a screenshot of each of its pages in the artefact folder.
    """
    made: list[BrowserContext] = []
    problems: list[str] = []

    def make(**options: Any) -> BrowserContext:
        # As an auditor in Indonesia has it: Accept-Language id-ID, the clock in WIB.
        context = browser.new_context(**{"base_url": demo.base, "locale": "id-ID",
                                         "timezone_id": "Asia/Jakarta", **options})
        context.set_default_timeout(TIMEOUT_MS)
        context.on("page", lambda page: _watch(page, problems))
        made.append(context)
        return context

    yield make
    if request.node.stash.get(_FAILED, False):
        for i, context in enumerate(made):
            for j, page in enumerate(context.pages):
                # A screenshot that cannot be taken must not hide the failure.
                with contextlib.suppress(Exception):
                    pages.screenshot(page, f"FAILED-{request.node.name}-{i}-{j}")
    for context in made:
        context.close()
    if problems:
        pytest.fail("the browser saw problems:\n" + "\n".join(problems[:20]))


def _watch(page: Page, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"{page.url}: script error {error}"))
    page.on("console", lambda message: problems.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None)
    page.on("response", lambda response: problems.append(
        f"{response.url}: {response.status}")
            if "/ui/static/" in response.url and response.status >= 400 else None)


@pytest.fixture
def page(new_context: NewContext) -> Page:
    """A page in a fresh context: JavaScript on (htmx enhances), nobody logged in."""
    return new_context().new_page()


@pytest.fixture
def axe_page(new_context: NewContext) -> Page:
    """A page where axe-core can be injected: the pages' CSP forbids inline scripts."""
    return new_context(bypass_csp=True).new_page()


@pytest.fixture
def admin_page(page: Page, demo: Demo) -> Page:
    """A page logged in as the demo's admin, on the check page (lighter than the dashboard)."""
    pages.log_in(page, demo.server.admin_token, then="/ui/check")
    return page


@pytest.fixture(scope="session")
def binjai_auditor(demo: Demo) -> str:
    """An auditor's token scoped to Kota Binjai (12.75)."""
    return demo.server.tokens["binjai_auditor"]
