"""The NIK: sixteen digits that encode a region, a birth date and the sex."""

from __future__ import annotations

from datetime import date

import pytest

from registry.domain import nik
from registry.domain.errors import ValidationFailed

# Kabupaten Labuhanbatu Selatan (12.22), district 01, serial 0001.
SITI = "1222014410850001"  # a woman born 4 October 1985: day 04 + 40
BUDI = "1222010410850001"  # a man born 4 October 1985


def refusal(number: str, **given: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as raised:
        nik.check(number, **given)  # type: ignore[arg-type]
    return raised.value


def test_a_well_formed_nik_is_returned_as_given():
    assert nik.check(SITI) == SITI
    assert nik.check(BUDI, birth_date=date(1985, 10, 4), sex="M") == BUDI
    assert nik.check(SITI, birth_date=date(1985, 10, 4), sex="F") == SITI


@pytest.mark.parametrize("number", [
    "122201441085000",  # fifteen digits
    "12220144108500011",  # seventeen
    "122201441085000A",
    "1222 14410850001",
    "١٢٢٢٠١٤٤١٠٨٥٠٠٠١",  # sixteen digits, but Arabic-Indic ones
    "",
])
def test_anything_but_sixteen_ascii_digits_is_refused_naming_the_nik(number):
    error = refusal(number)
    assert error.errors == {"nik": "must be exactly 16 digits"}
    assert error.detail == "nik: must be exactly 16 digits"


def test_the_serial_0000_is_refused_but_0001_is_not():
    error = refusal("1222014410850000")
    assert error.errors == {"nik": "the serial (last 4 digits) must not be 0000"}
    assert error.detail == "nik: the serial (last 4 digits) must not be 0000"
    assert nik.check("1222014410851000") == "1222014410851000"


@pytest.mark.parametrize("number", [
    "1222013210850001",  # 32 October
    "1222017210850001",  # a woman's 32 October
    "1222014010850001",  # day 40: neither a man's day nor a woman's (0)
    "1222010013850001",  # month 13
    "1222010400850001",  # month 0
    "1222012902850001",  # 29 February 1985 and 2085
])
def test_digits_that_are_no_calendar_date_are_refused(number):
    error = refusal(number)
    message = "digits 7-12 are not a real birth date (DDMMYY, women +40)"
    assert error.errors == {"nik": message}
    assert error.detail == f"nik: {message}"


def test_29_february_00_is_a_date_because_2000_was_a_leap_year_though_1900_was_not():
    assert nik.check("1222012902000001", birth_date=date(2000, 2, 29)) == "1222012902000001"


def test_a_two_digit_year_may_be_either_century():
    assert nik.check(BUDI, birth_date=date(1985, 10, 4))
    assert nik.check(BUDI, birth_date=date(2085, 10, 4))
    with pytest.raises(ValidationFailed):
        nik.check(BUDI, birth_date=date(1885, 10, 4))


def test_the_sex_given_must_be_the_one_the_nik_encodes():
    error = refusal(BUDI, sex="F")
    assert error.errors == {"sex": "the NIK encodes M"}
    assert error.detail == "sex: the NIK encodes M"

    error = refusal(SITI, sex="M")
    assert error.errors == {"sex": "the NIK encodes F"}
    assert error.detail == "sex: the NIK encodes F"


def test_without_a_sex_or_birth_date_only_the_nik_itself_is_checked():
    assert nik.check(SITI, birth_date=None, sex=None) == SITI
    assert nik.check(BUDI) == BUDI


def test_the_birth_date_given_must_be_the_one_the_nik_encodes():
    error = refusal(SITI, birth_date=date(1985, 10, 5))
    assert error.errors == {"birth_date": "does not match the NIK, which encodes 441085"}
    assert error.detail == "birth_date: the NIK encodes 441085 (DDMMYY, women +40)"


def test_a_birth_month_of_two_digits_is_read_whole():
    # December, not February: both digits of the month count.
    number = "1222011512900001"
    assert nik.check(number, birth_date=date(1990, 12, 15)) == number
    with pytest.raises(ValidationFailed):
        nik.check(number, birth_date=date(1990, 2, 15))


def test_a_woman_born_on_the_31st_adds_40_to_the_day():
    assert nik.check("1222017101900001", birth_date=date(1990, 1, 31), sex="F")


def test_a_masked_nik_shows_only_its_first_six_and_last_two_digits():
    assert nik.mask(SITI) == "122201********01"
    assert nik.mask("12345") == "****"
    assert nik.mask("") == "****"


@pytest.mark.parametrize(("region", "district", "born", "sex", "serial", "expected"), [
    ("12.22", 1, date(1985, 10, 4), "M", 0, "1222010410850001"),
    ("12.22", 1, date(1985, 10, 4), "F", 0, "1222014410850001"),
    ("12.71", 23, date(2001, 2, 28), "F", 41, "1271236802010042"),
    ("12", 5, date(1999, 12, 31), "M", 9998, "1211053112999999"),
    ("36.73", 2, date(1970, 1, 1), "M", 9999, "3673020101700001"),
])
def test_make_builds_a_nik_that_check_accepts(region, district, born, sex, serial, expected):
    made = nik.make(region, district, born, sex, serial)
    assert made == expected
    assert nik.check(made, birth_date=born, sex=sex) == made


def test_make_never_gives_the_serial_0000():
    serials = {nik.make("12.22", 1, date(1985, 10, 4), "M", s)[12:] for s in range(20_000)}
    assert "0000" not in serials
    assert len(serials) == 9999


def test_a_woman_born_on_the_1st_has_day_41_and_a_man_day_01():
    assert nik.check("1222014101900001", birth_date=date(1990, 1, 1), sex="F")
    assert nik.check("1222010101900001", birth_date=date(1990, 1, 1), sex="M")
