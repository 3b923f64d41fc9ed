"""The backdating report (/ui/audit/backdated, and its CSV) and the integrity page
(/ui/integrity): what the API's audit endpoints answer, as pages, with the same rules.

Both engines: the pages read the history read model and the log's own tables.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.audit import notes
from registry.bootstrap import Registry
from registry.domain import nik as niks
from registry.domain.dates import today
from tests.builders import labusel_pks, medan_pks
from tests.callers import Caller
from tests.integration.tampering import sql

TODAY = today()
V1 = "/api/v1"


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


class Page:
    """A browser's session (tests/ui/conftest.py), with a page's text as it reads it."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(path, query_string=query)

    def text(self, path: str, **query: Any) -> str:
        answer = self.get(path, **query)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
        return str(answer.get_data(as_text=True))


@pytest.fixture
def page(browser_as: Any) -> Any:
    """page("auditor", "12.22") -> a session logged in through the form with a fresh token."""
    return lambda role, *regions: Page(browser_as(role, *regions))


@pytest.fixture
def agreement(admin: Caller) -> str:
    """A Labuhanbatu Selatan PKS that has run for 90 days and runs 90 more."""
    created = admin.post(f"{V1}/agreements", json=labusel_pks(
        signed_on=days_ago(90), starts_on=days_ago(90), ends_on=days_ago(-90), quota=100))
    assert created.status_code == 201, created.json
    return str(created.json["id"])


def enroll(admin: Caller, agreement: str, serial: int, starts_on: str,
           region: str = "12.22") -> str:
    nik = niks.make(region, 4, date(1979, 8, 17), "M", serial)
    answer = admin.post(f"{V1}/agreements/{agreement}/enrollments", json={
        "nik": nik, "name": f"Pekerja {serial}", "occupation": "penggali kubur",
        "starts_on": starts_on})
    assert answer.status_code == 201, answer.json
    return nik


def disenroll(admin: Caller, agreement: str, nik: str, ends_on: str, code: str,
              reason: str | None = None) -> None:
    body = {"ends_on": ends_on, "reason_code": code, **({"reason": reason} if reason else {})}
    answer = admin.post(f"{V1}/agreements/{agreement}/enrollments/{nik}/disenrollment",
                        json=body)
    assert answer.status_code == 200, answer.json


def csv_rows(answer: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


# The backdating report.

def test_the_report_shows_who_when_why_and_the_request_of_each_late_record(
        page: Any, admin: Caller, agreement: str) -> None:
    nik = enroll(admin, agreement, 1, days_ago(60))
    api = admin.get(f"{V1}/audit/backdated").json["items"]
    shown = page("auditor").text("/ui/audit/backdated", lang="en")
    assert [i["nik"] for i in api] == [nik]
    assert f'href="/ui/workers/{nik}"' in shown
    assert "PKS-LABUSEL-2022" in shown and "Worker enrolled" in shown
    assert api[0]["request_id"] in shown and api[0]["actor"] in shown
    assert re.search(r'class="number">60<', shown)
    # The download link keeps the filters.
    assert 'href="/ui/audit/backdated?min_days=7&amp;format=csv"' in page("auditor").text(
        "/ui/audit/backdated", min_days=7)


def test_records_made_after_a_death_or_in_the_30_days_before_it_are_flagged(
        page: Any, admin: Caller, agreement: str) -> None:
    dead_long_ago = enroll(admin, agreement, 1, days_ago(60))
    disenroll(admin, agreement, dead_long_ago, days_ago(40), "DECEASED")
    dies_today = enroll(admin, agreement, 2, days_ago(50))
    disenroll(admin, agreement, dies_today, days_ago(0), "DECEASED")
    shown = page("auditor").text("/ui/audit/backdated", lang="en", min_days=30)
    rows = {nik: shown[shown.index(f">{nik}<"):][:2500] for nik in (dead_long_ago, dies_today)}
    assert 'class="flag after">Recorded after the death' in rows[dead_long_ago]
    assert 'class="flag same">Recorded within 30 days before the death' in rows[dies_today]
    indonesian = page("auditor").text("/ui/audit/backdated", min_days=30)
    assert "Dicatat setelah meninggal dunia" in indonesian


def test_the_report_pages_with_a_cursor(page: Any, admin: Caller, agreement: str) -> None:
    for serial in range(53):
        enroll(admin, agreement, serial, days_ago(20))
    browser = page("admin")
    first = browser.text("/ui/audit/backdated", lang="en")
    assert first.count('href="/ui/workers/') == 50
    cursor = re.search(r'href="[^"]*[?&;]after=(\d+)[^"]*" rel="next"', first)
    assert cursor, "no link to the next page"
    second = browser.text("/ui/audit/backdated", after=cursor.group(1))
    assert second.count('href="/ui/workers/') == 3
    assert 'rel="next"' not in second


def test_a_scoped_auditor_sees_only_its_regions_rows_on_the_page_and_in_the_csv(
        page: Any, admin: Caller, agreement: str) -> None:
    labusel = enroll(admin, agreement, 1, days_ago(30))
    medan = admin.post(f"{V1}/agreements", json=medan_pks(
        signed_on=days_ago(90), starts_on=days_ago(90), ends_on=days_ago(-90))).json["id"]
    in_medan = enroll(admin, medan, 1, days_ago(30), region="12.71")
    scoped = page("auditor", "12.22")
    shown = scoped.text("/ui/audit/backdated")
    assert labusel in shown and in_medan not in shown
    download = scoped.get("/ui/audit/backdated", format="csv").get_data(as_text=True)
    assert labusel in download and in_medan not in download
    # Asking for another region gives nothing, never that region's rows.
    assert in_medan not in scoped.text("/ui/audit/backdated", region="12.71")
    # Unscoped, the region filter narrows the report to the region asked for.
    everyone = page("auditor")
    narrowed = everyone.text("/ui/audit/backdated", region="12.71")
    assert in_medan in narrowed and labusel not in narrowed
    assert labusel in everyone.text("/ui/audit/backdated", region="12")


def test_the_report_filters_by_who_recorded_it_and_the_days_it_was_recorded(
        page: Any, admin: Caller, as_role: Any, agreement: str) -> None:
    by_admin = enroll(admin, agreement, 1, days_ago(30))
    registrar = as_role("registrar", "12.22")
    by_registrar = enroll(registrar, agreement, 2, days_ago(30))
    actor = admin.get(f"{V1}/audit/backdated").json["items"][0]["actor"]
    browser = page("auditor")
    theirs = browser.text("/ui/audit/backdated", actor=actor)
    assert by_registrar in theirs and by_admin not in theirs
    download = browser.get("/ui/audit/backdated", format="csv", actor=actor)
    assert by_registrar in download.get_data(as_text=True)
    assert by_admin not in download.get_data(as_text=True)
    today_ = TODAY.isoformat()
    both = browser.text("/ui/audit/backdated", **{"from": today_, "to": today_})
    assert by_admin in both and by_registrar in both
    assert by_admin not in browser.text("/ui/audit/backdated", to=days_ago(1))
    backwards = browser.get("/ui/audit/backdated", lang="en",
                            **{"from": today_, "to": days_ago(1)})
    assert backwards.status_code == 422
    assert "The last day must not be before the first." in backwards.get_data(as_text=True)
    assert browser.get("/ui/audit/backdated", to="9999-12-31").status_code == 422


@pytest.mark.parametrize("query, field", [
    ({"min_days": "tujuh"}, "min_days"), ({"min_days": "-1"}, "min_days"),
    ({"min_days": "99999"}, "min_days"), ({"region": "Binjai"}, "region"),
])
def test_a_bad_filter_shows_the_field_error_in_the_pages_language(
        page: Any, query: dict[str, str], field: str) -> None:
    browser = page("auditor")
    answers = [browser.get("/ui/audit/backdated", **query),
               browser.get("/ui/audit/backdated", lang="en", **query)]
    assert [a.status_code for a in answers] == [422, 422]
    indonesian, english = (a.get_data(as_text=True) for a in answers)
    messages = {"min_days": ("Masukkan jumlah hari", "Enter a whole number of days"),
                "region": ("Kode wilayah berbentuk", "A region code looks like")}[field]
    assert f'id="{field}-error"' in indonesian and messages[0] in indonesian
    assert messages[1] in english and messages[0] not in english
    assert "<table>" not in indonesian
    # The CSV link with the same bad filter answers the page with the error, not a file.
    download = browser.get("/ui/audit/backdated", format="csv", **query)
    assert download.status_code == 422 and download.mimetype == "text/html"
    assert f'id="{field}-error"' in download.get_data(as_text=True)


def test_the_csv_is_the_filtered_report_with_cells_escaped_and_a_header_in_the_language(
        page: Any, admin: Caller, agreement: str) -> None:
    nik = enroll(admin, agreement, 1, days_ago(60))
    disenroll(admin, agreement, nik, days_ago(45), "OTHER", '=HYPERLINK("http://x.test")')
    enroll(admin, agreement, 2, days_ago(10))  # under the filter below
    browser = page("auditor")
    answer = browser.get("/ui/audit/backdated", format="csv", min_days=30)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="')
    header, *rows = csv_rows(answer)
    assert header[:4] == ["NIK", "Nomor perjanjian", "ID perjanjian", "Jenis peristiwa"]
    assert [(r[0], r[3]) for r in rows] == [(nik, "WorkerDisenrolled"), (nik, "WorkerEnrolled")]
    assert rows[0][header.index("Alasan")] == '\'=HYPERLINK("http://x.test")'
    english = csv_rows(browser.get("/ui/audit/backdated", format="csv", min_days=30,
                                   lang="en"))
    assert english[0][:2] == ["NIK", "Agreement number"]
    assert [(r[0], r[3]) for r in english[1:]] == [(r[0], r[3]) for r in rows]
    assert english[1][4] == "Worker disenrolled"


def test_a_reason_starting_a_formula_is_escaped_in_the_csv(
        page: Any, admin: Caller, agreement: str) -> None:
    nik = enroll(admin, agreement, 1, days_ago(60))
    disenroll(admin, agreement, nik, days_ago(45), "OTHER", "=1+1")
    header, *rows = csv_rows(page("auditor").get("/ui/audit/backdated", format="csv",
                                                 lang="en"))
    reasons = [r[header.index("Reason")] for r in rows]
    assert "'=1+1" in reasons
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


# The integrity page.

def test_the_integrity_page_checks_the_whole_log_as_the_api_does(
        page: Any, admin: Caller, agreement: str) -> None:
    enroll(admin, agreement, 1, days_ago(5))
    browser = page("auditor", "12.22")  # its token is an event: made before the check
    api = admin.get(f"{V1}/audit/integrity").json
    shown = browser.text("/ui/integrity", lang="en")
    assert api["ok"] and 'class="answer yes"' in shown
    assert f"{api['head']['position']}:{api['head']['hash']}" in shown
    assert "No checkpoint has been signed yet" in shown


def test_registrars_may_not_open_the_integrity_page(page: Any) -> None:
    answer = page("registrar", "12.22").get("/ui/integrity", lang="en")
    assert answer.status_code == 403
    assert "Your token may not see this page." in answer.get_data(as_text=True)
    assert page("registrar").get("/ui/integrity").status_code == 403


def test_a_changed_chain_shows_as_not_intact_with_the_first_bad_position(
        page: Any, registry: Registry, admin: Caller, agreement: str) -> None:
    enroll(admin, agreement, 1, days_ago(5))
    sql(registry, "UPDATE {chain} SET hash = UPPER(hash) WHERE position = 2")
    shown = page("admin").text("/ui/integrity", lang="en")
    assert 'class="answer no"' in shown and "broken at position 2" in shown
    assert "Tidak utuh" in page("admin").text("/ui/integrity", lang="id")


def test_within_a_minute_the_page_shows_the_last_check_dated_and_rechecks_when_asked(
        page: Any, registry: Registry, admin: Caller, agreement: str) -> None:
    enroll(admin, agreement, 1, days_ago(5))
    browser = page("admin")
    assert 'class="answer yes"' in browser.text("/ui/integrity", lang="en")
    sql(registry, "UPDATE {chain} SET hash = UPPER(hash) WHERE position = 2")
    again = browser.text("/ui/integrity", lang="en")
    assert 'class="answer yes"' in again and "The check of" in again
    assert "broken at position 2" in browser.text("/ui/integrity", lang="en", recheck="1")


def test_the_integrity_page_shows_the_checkpoint_its_cosignatures_and_the_verifier_key(
        page: Any, registry: Registry, admin: Caller, agreement: str) -> None:
    enroll(admin, agreement, 1, days_ago(5))
    bpk = notes.Signer("bpk.go.id/witness", Ed25519PrivateKey.generate(), notes.COSIGNATURE_V1)
    registry.log.add_witness_key(str(bpk.vkey))
    signed = registry.log.checkpoint()
    registry.log.add_cosignature(str(signed.note),
                                 notes.cosign(signed.note.text, bpk, 1_800_000_000).line)
    browser = page("auditor")
    shown = browser.text("/ui/integrity", lang="en")
    assert str(signed.note).strip() in shown
    assert "bpk.go.id/witness" in shown and "15 January 2027" in shown  # 1,800,000,000 s
    assert str(registry.log.vkey()) in shown and str(bpk.vkey) in shown
    assert "docs/auditing.md" in shown
    # A newer checkpoint, not cosigned yet: the cosigned one is still shown beside it.
    enroll(admin, agreement, 2, days_ago(5))
    newer = registry.log.checkpoint()
    shown = browser.text("/ui/integrity", lang="en")
    assert f"{newer.checkpoint.size} events" in shown and "no witness yet" in shown
    assert f"Cosignatures of the checkpoint of {signed.checkpoint.size} events" in shown
