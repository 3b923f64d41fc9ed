"""What a file's row sent again finds (Worker.enrolled_alike), and what the NIK says of a
worker when the row does not (nik.encoded_birth_date, nik.encoded_sex)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Coverage, Details
from registry.domain.worker import Worker

CTX = Context("tester")
NIK = niks.make("12.22", 1, date(1990, 6, 5), "F", 1)
DETAILS = Details("Siti Aminah", "petani", date(1990, 6, 5), "F", "Desa Sisumut")
LABUSEL = Agreement.create_id("PKS-LABUSEL-2022")
OCT_1, NOV_1, DEC_31 = date(2022, 10, 1), date(2022, 11, 1), date(2022, 12, 31)


def coverage(starts_on: date = OCT_1, programs: tuple[str, ...] = ("JKK", "JKM"),
             agreement_id: object = LABUSEL, ends_on: date = DEC_31) -> Coverage:
    return Coverage(agreement_id, "PKS-LABUSEL-2022", "12.22", 1, list(programs),  # type: ignore[arg-type]
                    starts_on, ends_on)


@pytest.fixture
def worker() -> tuple[Worker, str]:
    siti = Worker.register(CTX, NIK, DETAILS)
    return siti, siti.enroll(CTX, coverage(), DETAILS)


def test_the_same_row_again_finds_its_enrollment(worker):
    siti, enrollment_id = worker
    assert siti.enrolled_alike(coverage(), DETAILS) == enrollment_id
    assert siti.enrolled_alike(coverage(), DETAILS, OCT_1) == enrollment_id
    # Without a start the row asks from today (here 1 November): still the same enrollment.
    assert siti.enrolled_alike(coverage(NOV_1), DETAILS) == enrollment_id
    # Details the row leaves out are not compared.
    assert siti.enrolled_alike(coverage(), Details("Siti Aminah", "petani")) == enrollment_id


@pytest.mark.parametrize("change", [
    {"name": "Siti Aminah Harahap"}, {"occupation": "nelayan"}, {"address": "Kotapinang"},
    {"birth_date": date(1990, 6, 6)}, {"sex": "M"},
])
def test_a_row_with_any_other_detail_is_a_new_request(worker, change):
    siti, _ = worker
    assert siti.enrolled_alike(coverage(), replace(DETAILS, **change)) is None


def test_another_agreement_programs_start_or_period_is_a_new_request(worker):
    siti, _ = worker
    other = Agreement.create_id("PKS-MEDAN-2022")
    assert siti.enrolled_alike(coverage(agreement_id=other), DETAILS) is None
    assert siti.enrolled_alike(coverage(programs=("JKK",)), DETAILS) is None
    assert siti.enrolled_alike(coverage(), DETAILS, NOV_1) is None
    assert siti.enrolled_alike(coverage(date(2023, 1, 1), ends_on=date(2023, 12, 31)),
                               DETAILS) is None


def test_an_ended_or_voided_enrollment_is_not_enrolled_alike(worker):
    siti, enrollment_id = worker
    siti.end(CTX, enrollment_id, ends_on=NOV_1, reason_code="VOLUNTARY")
    assert siti.enrolled_alike(coverage(), DETAILS) is None
    voided = Worker.register(CTX, NIK, DETAILS)
    voided.void_enrollment(CTX, voided.enroll(CTX, coverage(), DETAILS), "salah input")
    assert voided.enrolled_alike(coverage(), DETAILS) is None


@pytest.mark.parametrize("born, sex, on, expected", [
    (date(1990, 6, 5), "F", date(2022, 10, 1), date(1990, 6, 5)),
    (date(2005, 1, 31), "M", date(2022, 10, 1), date(2005, 1, 31)),
    (date(1922, 10, 2), "M", date(2022, 10, 1), date(1922, 10, 2)),  # 2022-10-02: tomorrow
    (date(2022, 10, 1), "F", date(2022, 10, 1), date(2022, 10, 1)),
    (date(2000, 2, 29), "M", date(2022, 10, 1), date(2000, 2, 29)),  # 1900 had no 29 February
    (date(2000, 2, 29), "M", date(1990, 1, 1), date(2000, 2, 29)),  # no century fits: the one
])
def test_the_nik_gives_the_birth_date_in_the_latest_century_not_in_the_future(
        born, sex, on, expected):
    number = niks.make("12.22", 1, born, sex, 7)
    assert niks.encoded_birth_date(number, on) == expected
    assert niks.encoded_sex(number) == sex
