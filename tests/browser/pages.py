"""What the browser tests do to a page: log in, ask the check question, run axe-core,
keep a screenshot, print to PDF."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Page, expect

from api.ui import i18n

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
# CI keeps this folder as an artefact (.ci/run prints where it is); gitignored.
SCREENSHOTS = Path(os.environ.get("REGISTRY_TEST_SCREENSHOTS", ROOT / "artifacts" / "screenshots"))
SERIOUS = ("serious", "critical")
LOGOUT_FORM = "form[action$='/ui/logout']"


def log_in(page: Page, token: str, then: str | None = None) -> None:
    """Log in through the form at /ui/login, as a person does, and land on a page."""
    page.goto("/ui/login" + (f"?{urlencode({'next': then})}" if then else ""))
    page.locator("input[name=token]").fill(token)
    page.locator("form:has(input[name=token]) [type=submit]").click()
    expect(page.locator(LOGOUT_FORM),
           "after logging in, the page shows the logout form").to_be_visible()


def ask(page: Page, nik: str, on: str, known_at: str | None = None) -> None:
    """Answer "was NIK covered on the day" with the form on /ui/check."""
    page.goto("/ui/check")
    page.locator("input[name=nik]").fill(nik)
    page.locator("input[name=on]").fill(on)
    if known_at is not None:
        page.locator("input[name=known_at]").fill(known_at)
    page.locator("form:has(input[name=nik]) [type=submit]").click()
    expect(page.locator(".answer"), "the check page answers").to_be_visible()


def check_url(nik: str, on: str, **more: str) -> str:
    return "/ui/check?" + urlencode({"nik": nik, "on": on, **more})


def html_lang(page: Page) -> str:
    return str(page.locator("html").get_attribute("lang"))


def text(page: Page) -> str:
    """What a reader sees of the whole page."""
    return page.locator("body").inner_text()


def indonesian(message: str) -> str:
    """The page's Bahasa Indonesia for an English message (the catalogue's), to compare."""
    found = i18n.catalogue("id").get(message)
    assert found is not None and found.string, f"no Indonesian translation of {message!r}"
    return str(found.string)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    The page's context must bypass CSP (`bypass_csp=True`): the pages forbid inline
    scripts, and the vendored axe-core is injected as one."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = page.evaluate("""async () => {
        const result = await window.axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
        }));
    }""")
    return [v for v in violations if v["impact"] in SERIOUS]


def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot of the page in the artefact folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF (as Chromium writes it: no object streams) has."""
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))
