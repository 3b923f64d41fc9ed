"""The "was covered?" page and the worker page: the answer, the events it rests on,
when each was recorded, and what the registry said at an earlier record time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.builders import (
    CTX,
    NOV15,
    enroll_worker,
    labusel_pks_fields,
    medan_nik,
    sign_labusel_pks,
)
from tests.ui.conftest import text_of


@pytest.fixture
def labusel(registry: Any) -> dict[str, Any]:
    """The Labuhanbatu Selatan PKS (Oct-Dec 2022), worker 1 enrolled today from 1 October:
    recorded years after the days it covers; and the moment before the enrollment."""
    agreement_id = sign_labusel_pks(registry)
    before = datetime.now(UTC)
    nik = enroll_worker(registry, agreement_id, 1)
    return {"id": agreement_id, "nik": nik, "before": before}


def test_the_check_page_answers_yes_names_the_agreement_and_flags_late_records(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    answer = browser_as("auditor").get(f"/ui/check?nik={labusel['nik']}&on=2022-11-15")
    page = text_of(answer)
    assert answer.status_code == 200 and '<html lang="id">' in answer.get_data(as_text=True)
    assert f"Ya: NIK {labusel['nik']} terlindungi pada 15 November 2022 untuk JKK, JKM." in page
    assert "PKS/LBS/2022/10" in page or labusel_pks_fields()["agreement_number"] in page
    # The signing and the enrollment were both recorded after the accident day.
    assert page.count("dicatat sesudah hari itu") >= 3
    assert "Perjanjian ditandatangani" in page and "Pekerja didaftarkan sebagai peserta" in page
    assert "tester" in page  # who recorded them


def test_the_check_page_answers_no_outside_the_coverage(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    page = text_of(browser_as("auditor").get(f"/ui/check?nik={labusel['nik']}&on=2023-02-01"))
    assert f"Tidak: NIK {labusel['nik']} tidak terlindungi pada 1 Februari 2023." in page


def test_a_backdated_enrollment_is_not_covered_as_recorded_before_it_was_made(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    browser = browser_as("auditor")
    then = labusel["before"].isoformat().replace("+00:00", "Z")
    page = text_of(browser.get(f"/ui/check?nik={labusel['nik']}&on=2022-11-15&known_at={then}"))
    assert "Tidak: NIK" in page
    assert "dicatat setelah waktu pencatatan yang dipilih" in page
    worker = text_of(browser.get(f"/ui/workers/{labusel['nik']}?on=2022-11-15&known_at={then}"))
    assert "registri belum mengenal pekerja ini" in worker
    assert "1 kepesertaan dicatat setelah waktu pencatatan yang dipilih." in worker


def test_the_worker_page_marks_what_a_correction_changed_since_the_record_time(
        browser_as: Any, registry: Any, labusel: dict[str, Any]) -> None:
    between = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    registry.app.correct_worker(CTX, labusel["nik"], "salah ketik", occupation="nelayan")
    browser = browser_as("auditor")
    now = text_of(browser.get(f"/ui/workers/{labusel['nik']}?on=2022-11-15"))
    assert "nelayan" in now and "berubah sejak itu" not in now
    then = browser.get(f"/ui/workers/{labusel['nik']}?on=2022-11-15&known_at={between}")
    html = then.get_data(as_text=True)
    assert "petani" in text_of(then) and "nelayan" not in text_of(then).split("Seluruh")[0]
    assert '<dd class="changed">' in html and "berubah sejak itu" in text_of(then)
    assert "Data pekerja dikoreksi" in text_of(then) and "salah ketik" in text_of(then)


def test_the_worker_page_shows_coverage_on_a_time_line_and_every_event(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    answer = browser_as("auditor").get(f"/ui/workers/{labusel['nik']}?on=2022-11-15")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert '<svg class="chart" role="img"' in html and 'class="span-active"' in html
    page = text_of(answer)
    assert "Pekerja 1" in page and "1 Oktober 2022" in page and "31 Desember 2022" in page
    assert "Pekerja terdaftar" in page and "ID permintaan" in page


@pytest.mark.parametrize(("query", "message"), [
    ("nik=123&on=2022-11-15", "NIK terdiri dari 16 angka; yang ini tidak."),
    ("nik=1222039999990001&on=2022-11-15", "NIK ini tidak sah"),
    ("nik=1222030302810001&on=15-11-2022", "Isi tanggal dengan format TTTT-BB-HH"),
    ("nik=1222030302810001&known_at=kemarin", "Isi waktu pencatatan dengan format"),
    ("nik=", "Isi NIK pekerja (16 angka)."),
])
def test_a_bad_field_shows_its_error_in_the_pages_language(
        browser_as: Any, query: str, message: str) -> None:
    answer = browser_as("auditor").get(f"/ui/check?{query}")
    assert answer.status_code == 422
    assert message in text_of(answer)
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)


def test_a_bad_field_is_explained_in_english_too(browser_as: Any) -> None:
    answer = browser_as("auditor").get("/ui/check?nik=123&lang=en")
    assert "A NIK is 16 digits; this one is not." in text_of(answer)


def test_dates_and_names_read_the_english_way_in_english(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    page = text_of(browser_as("auditor").get(
        f"/ui/check?nik={labusel['nik']}&on=2022-11-15&lang=en"))
    assert f"Yes: NIK {labusel['nik']} was covered on 15 November 2022 for JKK, JKM." in page
    assert "recorded after the day" in page


def test_a_scoped_auditor_learns_nothing_of_a_worker_outside_its_regions(
        browser_as: Any, registry: Any) -> None:
    medan = registry.app.sign_agreement(CTX, **labusel_pks_fields(
        agreement_number="PKS-MEDAN-2025", region_code="12.71", region_name="Kota Medan",
        starts_on=NOV15)).agreement.id
    nik = enroll_worker(registry, medan, 1, nik=medan_nik(1), starts_on=NOV15)
    binjai = browser_as("auditor", "12.75")
    assert binjai.get(f"/ui/workers/{nik}").status_code == 404
    page = text_of(binjai.get(f"/ui/check?nik={nik}&on=2022-11-20"))
    assert "tidak terlindungi" in page
    assert "PKS-MEDAN-2025" not in page and "Pekerja 1" not in page and "12.71" not in page
    assert binjai.get(f"/ui/workers/{nik}/certificate?on=2022-11-20").status_code == 404
    medan_auditor = browser_as("auditor", "12.71")
    assert "PKS-MEDAN-2025" in text_of(medan_auditor.get(f"/ui/check?nik={nik}&on=2022-11-20"))


def test_the_certificate_downloads_as_a_file_with_the_answer(
        browser_as: Any, labusel: dict[str, Any]) -> None:
    answer = browser_as("auditor").get(
        f"/ui/workers/{labusel['nik']}/certificate?on=2022-11-15")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert labusel["nik"] not in answer.headers["Content-Disposition"]
    body = json.loads(answer.get_data(as_text=True))
    assert body["answer"]["covered"] is True


def test_a_url_that_is_not_a_nik_is_not_found(browser_as: Any) -> None:
    assert browser_as("auditor").get("/ui/workers/12345").status_code == 404


def test_the_check_page_says_no_when_three_invoiced_months_are_unpaid_and_says_why(
        browser_as: Any, labusel: dict[str, Any], registry: Any) -> None:
    from projections import ledger_views
    from registry.service.ledger import Ledgers

    desk = Ledgers(registry.app)
    for month in ("2022-10", "2022-11", "2022-12"):
        desk.invoice(CTX, labusel["id"], month, ledger_views.billable(registry.projections))
    page = text_of(browser_as("auditor").get(f"/ui/check?nik={labusel['nik']}&on=2022-12-20"))
    assert f"Tidak: NIK {labusel['nik']} tidak terlindungi pada 20 Desember 2022." in page
    assert "tidak aktif: iuran bulan yang ditagih belum dibayar" in page
    in_arrears = text_of(browser_as("auditor").get(
        f"/ui/check?nik={labusel['nik']}&on=2022-11-20"))
    assert "Ya: NIK" in in_arrears and "menunggak, masih terlindungi" in in_arrears
