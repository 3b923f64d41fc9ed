"""The NIK (Nomor Induk Kependudukan), a worker's national identity number.

Sixteen digits: province (2), regency/city (2), district (2), birth date as
DDMMYY with 40 added to the day for women, then a serial (4) that is never
0000. The encoded date must exist in 19YY or 20YY.
"""

from __future__ import annotations

from datetime import date

from registry.domain.errors import ValidationFailed


def _encoded_dates(day: int, month: int, yy: int) -> list[date]:
    found = []
    for century in (1900, 2000):
        try:
            found.append(date(century + yy, month, day))
        except ValueError:
            continue
    return found


def check(nik: str, birth_date: date | None = None, sex: str | None = None) -> str:
    """The NIK if it is well formed and agrees with the birth date and sex given."""
    if len(nik) != 16 or not nik.isdigit() or not nik.isascii():
        raise ValidationFailed("nik: must be exactly 16 digits",
                               {"nik": "must be exactly 16 digits"})
    if nik[12:] == "0000":
        raise ValidationFailed("nik: the serial (last 4 digits) must not be 0000",
                               {"nik": "the serial (last 4 digits) must not be 0000"})
    dd, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    # No mutation: `dd >= 40` differs only for dd 40, which is no date either way (day 40 or 0).
    female = dd > 40  # pragma: no mutate
    day = dd - 40 if female else dd
    candidates = _encoded_dates(day, month, yy)
    if not candidates:
        raise ValidationFailed("nik: digits 7-12 are not a real birth date (DDMMYY, women +40)",
                               {"nik": "digits 7-12 are not a real birth date (DDMMYY, women +40)"})
    if sex is not None and (sex == "F") != female:
        raise ValidationFailed(f"sex: the NIK encodes {'F' if female else 'M'}",
                               {"sex": f"the NIK encodes {'F' if female else 'M'}"})
    if birth_date is not None and birth_date not in candidates:
        raise ValidationFailed(
            f"birth_date: the NIK encodes {nik[6:12]} (DDMMYY, women +40)",
            {"birth_date": f"does not match the NIK, which encodes {nik[6:12]}"})
    return nik


def encoded_sex(nik: str) -> str:
    """The sex a well-formed NIK encodes: `F` when 40 was added to the day."""
    # No mutation: `>= 40` differs only for day 40, which `check` refuses first.
    return "F" if int(nik[6:8]) > 40 else "M"  # pragma: no mutate


def encoded_birth_date(nik: str, on: date) -> date:
    """The birth date a well-formed NIK encodes. `YY` does not say the century: the
    latest that does not put the birth after `on` is taken (2005, not 1905; 1990, not
    2090)."""
    dd, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    candidates = _encoded_dates(dd - 40 if encoded_sex(nik) == "F" else dd, month, yy)
    born = [d for d in candidates if d <= on]
    return born[-1] if born else candidates[0]


def mask(nik: str) -> str:
    """For logs and messages: the first six digits and the last two, never the whole NIK."""
    return nik[:6] + "*" * 8 + nik[-2:] if len(nik) == 16 else "****"


def make(region_code: str, district: int, birth_date: date, sex: str, serial: int) -> str:
    """A well-formed NIK, for demos and tests: region "12.22" -> digits 1222."""
    digits = region_code.replace(".", "").ljust(4, "1")
    day = birth_date.day + (40 if sex == "F" else 0)
    return (f"{digits}{district:02d}{day:02d}{birth_date:%m}{birth_date:%y}"
            f"{serial % 9999 + 1:04d}")
