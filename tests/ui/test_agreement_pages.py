"""The dashboard, the agreement list and page, and the region page: what they show,
to whom, and in which language."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from projections import views
from tests.builders import (
    CTX,
    NOV15,
    enroll_worker,
    enrollment_request,
    labusel_pks_fields,
    medan_mou_fields,
    medan_nik,
    sign_labusel_pks,
)
from tests.ui.conftest import text_of

WORKERS = 30  # more than one page of history (25 a page)


@pytest.fixture
def world(registry: Any) -> dict[str, Any]:
    """Labuhanbatu Selatan's PKS (12.22) with 30 workers from 1 October 2022, one of
    them disenrolled on 15 November; a 2022 target for 12.22; Kota Medan's MOU (12.71)
    with a PKS under it and two workers."""
    labusel = sign_labusel_pks(registry)
    registry.app.enroll_workers(CTX, labusel, [enrollment_request(i, row=i)
                                              for i in range(1, WORKERS + 1)])
    gone = enrollment_request(1).nik
    registry.app.disenroll_worker(CTX, labusel, gone, ends_on=NOV15, reason_code="MOVED_AWAY",
                                  reason="pindah ke Medan")
    registry.app.set_coverage_target(CTX, "12.22", 2022, 1000, 10.0)
    mou = registry.app.sign_agreement(CTX, **medan_mou_fields()).agreement.id
    opd = registry.app.sign_agreement(CTX, parent_id=mou, **medan_mou_fields(
        agreement_number="PKS-OPD-MEDAN-1", kind="PKS", sponsor="Dinas Perhubungan",
        quota=50)).agreement.id
    medan = [enroll_worker(registry, opd, 0, nik=medan_nik(i), starts_on=date(2025, 3, 1))
             for i in (1, 2)]
    return {"labusel": labusel, "gone": gone, "mou": mou, "opd": opd, "medan_niks": medan}


def h1_count(response: Any) -> int:
    return response.get_data(as_text=True).count("<h1")


def test_every_page_renders_for_an_admin(browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    for path in ("/ui/", "/ui/agreements", f"/ui/agreements/{world['labusel']}",
                 f"/ui/agreements/{world['mou']}", f"/ui/agreements/{world['opd']}",
                 "/ui/regions/12.22", "/ui/regions/12"):
        answer = browser.get(path)
        assert answer.status_code == 200, path
        assert h1_count(answer) == 1, path
        if path != "/ui/agreements":  # every other page draws a chart, named in words
            html = answer.get_data(as_text=True)
            assert 'role="img"' in html and "<title id=" in html and "<desc id=" in html


def test_the_dashboard_shows_regions_against_targets_the_log_and_recent_events(
        browser_as: Any, registry: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    page = text_of(browser.get("/ui/"))
    assert "Kabupaten Labuhanbatu Selatan" in page and "Kota Medan" in page
    assert "belum ada yang ditandatangani" in page  # no checkpoint signed yet
    signed = registry.log.checkpoint()
    page = text_of(browser.get("/ui/"))
    assert f"mencakup {signed.checkpoint.size} peristiwa pertama" in page
    # The newest event first: Medan worker 2's enrollment.
    html = browser.get("/ui/").get_data(as_text=True)
    assert html.index(world["medan_niks"][1]) < html.index(world["medan_niks"][0])
    assert 'href="/ui/integrity"' in html


def test_a_scoped_auditor_sees_only_its_regions(browser_as: Any, world: dict[str, Any]
                                               ) -> None:
    auditor = browser_as("auditor", "12.22")
    dashboard = auditor.get("/ui/").get_data(as_text=True)
    assert "Kabupaten Labuhanbatu Selatan" in dashboard
    assert "Kota Medan" not in dashboard and "12.71" not in dashboard
    assert not any(nik in dashboard for nik in world["medan_niks"])
    listed = text_of(auditor.get("/ui/agreements"))
    assert "PKS-LABUSEL-2022" in listed and "MEDAN" not in listed
    assert "MEDAN" not in text_of(auditor.get("/ui/agreements?number=medan"))


@pytest.mark.parametrize("path", ["/ui/agreements/{mou}", "/ui/agreements/{opd}",
                                  "/ui/regions/12.71", "/ui/regions/12", "/ui/regions/xx",
                                  "/ui/regions/12.7", "/ui/agreements/{unknown}"])
def test_a_scoped_auditor_gets_not_found_outside_its_regions(
        browser_as: Any, world: dict[str, Any], path: str) -> None:
    auditor = browser_as("auditor", "12.22")
    answer = auditor.get(path.format(unknown=UUID(int=7), **world))
    assert answer.status_code == 404
    assert "Kota Medan" not in answer.get_data(as_text=True)
    assert auditor.get(f"/ui/agreements/{world['labusel']}").status_code == 200
    assert auditor.get("/ui/regions/12.22").status_code == 200


def test_search_by_number_ignores_case_and_takes_the_text_literally(
        browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    found = text_of(browser.get("/ui/agreements?number=opd-medan"))
    assert "PKS-OPD-MEDAN-1" in found and "MOU-MEDAN-2025" not in found
    assert "PKS-LABUSEL-2022" not in found
    assert "Tidak ada perjanjian yang sesuai." in text_of(browser.get("/ui/agreements?number=%25"))
    both = text_of(browser.get("/ui/agreements?number=MEDAN"))
    assert "PKS-OPD-MEDAN-1" in both and "MOU-MEDAN-2025" in both


def test_the_list_filters_by_kind_region_status_and_parent(
        browser_as: Any, registry: Any, world: dict[str, Any]) -> None:
    sign_labusel_pks(registry, agreement_number="PKS-LONG", signed_on=date(2024, 12, 1),
                     starts_on=date(2025, 1, 1), ends_on=date(2099, 12, 31))
    browser = browser_as("admin")
    pks = text_of(browser.get("/ui/agreements?kind=PKS&region=12.71"))
    assert "PKS-OPD-MEDAN-1" in pks and "MOU-MEDAN-2025" not in pks
    assert "PKS-LABUSEL-2022" not in pks
    expired = text_of(browser.get("/ui/agreements?status=expired"))
    assert "PKS-LABUSEL-2022" in expired and "PKS-LONG" not in expired
    active = text_of(browser.get("/ui/agreements?status=active"))
    assert "PKS-LONG" in active and "PKS-LABUSEL-2022" not in active
    under = text_of(browser.get(f"/ui/agreements?parent={world['mou']}"))
    assert "PKS-OPD-MEDAN-1" in under and "MOU-MEDAN-2025" not in under


def test_a_bad_region_filter_is_shown_beside_its_field_in_the_pages_language(
        browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    answer = browser.get("/ui/agreements?region=medan")
    assert answer.status_code == 200
    assert "Masukkan kode wilayah, misalnya 12 atau 12.75." in text_of(answer)
    assert 'aria-describedby="region-error"' in answer.get_data(as_text=True)
    assert "Enter a region code such as 12 or 12.75." in text_of(
        browser.get("/ui/agreements?region=medan&lang=en"))


def test_the_list_pages_with_a_cursor(browser_as: Any, registry: Any) -> None:
    for n in range(27):
        sign_labusel_pks(registry, agreement_number=f"PKS-{n:02d}")
    browser = browser_as("admin")
    first = browser.get("/ui/agreements").get_data(as_text=True)
    assert "PKS-00" in first and "PKS-24" in first and "PKS-25" not in first
    after = re.search(r'href="([^"]*after=\d+)" rel="next"', first)
    assert after
    second = text_of(browser.get(after.group(1).replace("&amp;", "&")))
    assert "PKS-25" in second and "PKS-26" in second and "PKS-00" not in second


def test_the_mou_page_shows_its_pks_and_the_pks_page_its_mou(
        browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    mou = browser.get(f"/ui/agreements/{world['mou']}").get_data(as_text=True)
    assert f'href="/ui/agreements/{world["opd"]}"' in mou and "PKS-OPD-MEDAN-1" in mou
    assert "Peserta didaftarkan melalui PKS" in text_of(browser.get(
        f"/ui/agreements/{world['mou']}"))  # the MOU covers nobody itself
    # What its PKS owe: 2 workers x 10 months (March to December 2025) x Rp 16.800.
    assert "terutang: Rp 336.000" in mou
    assert "di bawahnya terutang Rp 336.000 untuk Februari 2025 sampai Desember 2025" in mou
    pks = browser.get(f"/ui/agreements/{world['opd']}").get_data(as_text=True)
    assert f'href="/ui/agreements/{world["mou"]}"' in pks and "MOU-MEDAN-2025" in pks
    assert 'href="/ui/regions/12.71"' in pks
    assert f'href="/ui/workers/{world["medan_niks"][0]}"' in pks


def test_a_pks_whose_mou_lies_outside_the_token_does_not_name_it(
        browser_as: Any, registry: Any) -> None:
    province = registry.app.sign_agreement(CTX, **medan_mou_fields(
        agreement_number="MOU-SUMUT", region_code="12", region_name="Sumatera Utara")).agreement
    pks = registry.app.sign_agreement(CTX, parent_id=province.id, **labusel_pks_fields(
        agreement_number="PKS-UNDER-SUMUT", signed_on=date(2025, 1, 15),
        starts_on=date(2025, 2, 1), ends_on=date(2025, 12, 31))).agreement
    page = text_of(browser_as("auditor", "12.22").get(f"/ui/agreements/{pks.id}"))
    assert "sebuah MoU di luar wilayah Anda" in page and "MOU-SUMUT" not in page


def test_the_agreement_page_shows_workers_and_contributions_per_month(
        browser_as: Any, registry: Any, world: dict[str, Any]) -> None:
    page = text_of(browser_as("admin").get(f"/ui/agreements/{world['labusel']}"))
    rate = registry.app.get_agreement(world["labusel"]).terms[0].monthly_contribution_idr
    idr = f"{rate:,}".replace(",", ".")
    # October and November: all 30 (one until 15 November); December: 29.
    assert f"Oktober 2022 30 Rp {idr} Rp {30 * rate:,}".replace(",", ".") in page
    assert f"Desember 2022 29 Rp {idr} Rp {29 * rate:,}".replace(",", ".") in page
    assert f"Total Rp {89 * rate:,}".replace(",", ".") in page


def test_workers_per_month_agree_with_the_contributions_read(
        registry: Any, world: dict[str, Any]) -> None:
    agreement = registry.app.get_agreement(world["labusel"])
    runner = registry.projections
    fast = views.monthly_contributions(runner, world["labusel"], agreement.terms,
                                       (2022, 9), (2023, 1))
    assert fast == views.contributions(runner, world["labusel"], agreement.terms,
                                       (2022, 9), (2023, 1))
    assert [m["workers"] for m in fast["months"]] == [0, 30, 30, 29, 0]


def test_the_terms_time_line_marks_a_termination(browser_as: Any, registry: Any,
                                                  world: dict[str, Any]) -> None:
    registry.app.terminate_agreement(CTX, world["opd"], ends_on=date(2025, 6, 30),
                                     reason="OPD digabung")
    answer = browser_as("admin").get(f"/ui/agreements/{world['opd']}")
    html = answer.get_data(as_text=True)
    assert 'class="day-line"' in html and "Diakhiri setelah 30 Juni 2025" in html
    assert "OPD digabung" in text_of(answer)


def test_the_history_is_paged_with_who_when_why_and_the_request(
        browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    first = browser.get(f"/ui/agreements/{world['labusel']}").get_data(as_text=True)
    # The signing, the batch's quota places taken, then 23 of the enrollments.
    assert first.count('href="/ui/workers/') == 23
    assert "Perjanjian ditandatangani" in text_of(browser.get(
        f"/ui/agreements/{world['labusel']}"))
    cursor = re.search(r'href="([^"]*after=\d+)#history" rel="next"', first)
    assert cursor
    last = browser.get(cursor.group(1).replace("&amp;", "&"))
    page = text_of(last)
    # The rest: 6 more enrollments, the quota, the disenrollment with its reason.
    assert "pindah ke Medan" in page
    assert world["gone"] in page and "tester" in page
    assert 'rel="next"' not in last.get_data(as_text=True)
    assert "Halaman pertama riwayat" in page


def test_money_and_dates_follow_the_language(browser_as: Any, world: dict[str, Any]) -> None:
    browser = browser_as("admin")
    indonesian = text_of(browser.get(f"/ui/agreements/{world['labusel']}"))
    assert "4 Oktober 2022" in indonesian and re.search(r"Rp \d{1,3}(\.\d{3})+", indonesian)
    english = text_of(browser.get(f"/ui/agreements/{world['labusel']}?lang=en"))
    assert "4 October 2022" in english and re.search(r"Rp \d{1,3}(,\d{3})+", english)
    assert "Contribution per worker per month" in english and "Iuran" not in english
    region = text_of(browser.get("/ui/regions/12.22?lang=en"))
    assert "31 December 2022" in region and "Workforce" in region


def test_the_region_page_counts_the_years_with_targets(browser_as: Any, registry: Any,
                                                      world: dict[str, Any]) -> None:
    answer = browser_as("auditor", "12.22").get("/ui/regions/12.22")
    page = text_of(answer)
    # 2022 is counted on its last day: 29 workers against a target of 100 (10 % of 1,000).
    assert "2022 31 Desember 2022 29 100 1.000 10% 2,9%" in page
    html = answer.get_data(as_text=True)
    assert 'role="img"' in html and "29 dari 100" in html
    assert 'href="/ui/agreements?region=12.22"' in html


def test_an_unknown_agreement_is_not_found(browser_as: Any) -> None:
    answer = browser_as("admin").get(f"/ui/agreements/{UUID(int=1)}")
    assert answer.status_code == 404 and h1_count(answer) == 1


def test_the_history_page_reads_what_the_api_history_reads(registry: Any,
                                                           world: dict[str, Any]) -> None:
    runner = registry.projections
    for agreement_id in (world["labusel"], world["mou"], world["opd"]):
        after: int | None = 0
        while after is not None:
            ours, ours_next = views.agreement_history_page(runner, agreement_id, after=after,
                                                           limit=7)
            api, api_next = views.agreement_history(runner, agreement_id, after=after, limit=7)
            assert [{k: v for k, v in e.items() if k != "nik"} for e in ours] == api
            assert ours_next == api_next
            after = ours_next


def test_the_agreement_page_shows_what_was_invoiced_and_paid_each_month(
        browser_as: Any, world: dict[str, Any], registry: Any) -> None:
    from projections import ledger_views
    from registry.service.ledger import Ledgers

    page = text_of(browser_as("auditor").get(f"/ui/agreements/{world['labusel']}"))
    assert "Belum ada tagihan untuk perjanjian ini." in page
    desk = Ledgers(registry.app)
    billable = ledger_views.billable(registry.projections)
    october = desk.invoice(CTX, world["labusel"], "2022-10", billable)
    desk.invoice(CTX, world["labusel"], "2022-11", billable)
    desk.pay(CTX, world["labusel"], amount_idr=october.amount_idr, paid_on=NOV15,
             reference="SP2D/1/LS/2022")
    page = text_of(browser_as("auditor").get(f"/ui/agreements/{world['labusel']}"))
    assert "Tagihan dan pembayaran" in page
    assert "lunas terlambat" in page  # October, due on 17 October (the 15th a Saturday)
    assert "belum dibayar" in page  # November, due on 15 November, not paid
    assert "17 Oktober 2022" in page
