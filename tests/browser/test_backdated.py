"""A backdated enrollment, through the two clocks: covered now, and not covered as the
registry had it recorded before the enrollment was made."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from registry.domain import nik as niks
from registry.domain.dates import today
from tests.browser import pages
from tests.browser.servers import Demo

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def backdated_enrollment(demo: Demo) -> tuple[str, str, date]:
    """Sign a small Binjai PKS that started 90 days ago and enroll a worker from 60 days
    ago, both recorded now: (agreement number, NIK, a day the worker is covered)."""
    now = today()
    number = f"PKS/BJ-TEST/{uuid.uuid4().hex[:8].upper()}"
    signed = demo.server.api("POST", "/api/v1/agreements", json={
        "agreement_number": number, "kind": "PKS", "region_code": "12.75",
        "region_name": "Kota Binjai", "sponsor": "Pemerintah Kota Binjai",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Binjai",
        "signed_on": (now - timedelta(days=90)).isoformat(), "funding_source": "APBD",
        "programs": ["JKK", "JKM"], "starts_on": (now - timedelta(days=90)).isoformat(),
        "ends_on": (now + timedelta(days=90)).isoformat(), "quota": 10})
    assert signed.status_code == 201, signed.text
    # District 99: the demo's workers live in districts 1 to 29.
    nik = niks.make("12.75", 99, date(1985, 3, 14), "F", random.randrange(1, 9000))
    enrolled = demo.server.api(
        "POST", f"/api/v1/agreements/{signed.json()['id']}/enrollments", json={
            "nik": nik, "name": "Rina Lestari", "sex": "F", "occupation": "pedagang",
            "starts_on": (now - timedelta(days=60)).isoformat()})
    assert enrolled.status_code == 201, enrolled.text
    return number, nik, now - timedelta(days=30)


def test_a_backdated_enrollment_is_covered_now_and_not_as_recorded_before_it_was_made(
        page: Page, demo: Demo) -> None:
    number, nik, day = backdated_enrollment(demo)
    # The end of yesterday (WIB): before the agreement and the enrollment were recorded.
    before_it = (today() - timedelta(days=1)).isoformat()
    pages.log_in(page, demo.server.admin_token)

    page.goto(pages.check_url(nik, day.isoformat()))
    expect(page.locator(".answer.yes")).to_be_visible()
    assert number in pages.text(page)
    pages.screenshot(page, "backdated-check-now")

    page.goto(pages.check_url(nik, day.isoformat(), known_at=before_it))
    expect(page.locator(".answer.no")).to_be_visible()
    expect(page.locator(".answer.yes")).to_have_count(0)
    pages.screenshot(page, "backdated-check-known-at")

    answered = page.goto(f"/ui/workers/{nik}?on={day.isoformat()}")
    assert answered is not None and answered.status == 200
    expect(page.locator("table a", has_text=number).first).to_be_visible()
    expect(page.locator(".answer.no")).to_have_count(0)
    pages.screenshot(page, "backdated-worker-now")

    answered = page.goto(f"/ui/workers/{nik}?on={day.isoformat()}&known_at={before_it}")
    assert answered is not None and answered.status == 200
    expect(page.locator(".answer.no")).to_be_visible()
    pages.screenshot(page, "backdated-worker-known-at")
