"""`registry demo`: the seed articles' agreements, with generated but valid workers.

Binjai's MOU (5,000 workers), Medan's MOU with OPD PKS under it, Labuhanbatu
Selatan's PKS of October 2022 renewed for 2023, and Serang's PKS for
election and mosque officers; UCJ targets for Binjai.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Details
from registry.domain.errors import NotFound
from registry.entrypoints.demo_ledger import record_ledger
from registry.service.application import RegistryApplication
from registry.service.enrollments import EnrollmentRequest

OCCUPATIONS = ("petani", "tukang becak", "pedagang", "penggali kubur", "bilal mayit",
               "Tagana (relawan bencana)", "nelayan", "buruh harian lepas")
NAMES = ("Siti", "Budi", "Rahmat", "Dewi", "Agus", "Nur", "Putri", "Hendra", "Sri", "Yusuf",
         "Rina", "Fajar", "Lestari", "Irwan", "Wati", "Joko")
MEDAN_OPD = ("Dinas Kebersihan dan Pertamanan", "Dinas Perhubungan",
             "Dinas Ketahanan Pangan, Pertanian dan Perikanan", "Satpol PP")

Progress = Callable[[str, int], None]


def _workers(rng: random.Random, region: str, count: int, first_serial: int,
             occupations: tuple[str, ...] = OCCUPATIONS,
             starts_on: date | None = None) -> list[EnrollmentRequest]:
    rows = []
    for i in range(count):
        sex = rng.choice("MF")
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
        nik = niks.make(region, rng.randrange(1, 30), born, sex, first_serial + i)
        name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}"
        rows.append(EnrollmentRequest(
            nik=nik, details=Details(name=name, occupation=rng.choice(occupations),
                                     birth_date=born, sex=sex),
            starts_on=starts_on, row=i))
    return rows


def already_loaded(app: RegistryApplication) -> bool:
    try:
        app.get_agreement(Agreement.create_id("MOU/BJ/2025/11"))
    except NotFound:
        return False
    return True


def load(app: RegistryApplication, progress: Progress = lambda _s, _n: None) -> dict[str, UUID]:
    """Write the seed scenarios; returns the agreements' ids by short name."""
    ctx = Context(actor="demo")
    rng = random.Random(2025)  # the same workers every time
    ids: dict[str, UUID] = {}

    def sign(key: str, **fields: Any) -> UUID:
        ids[key] = app.sign_agreement(ctx, **fields).agreement.id
        progress(f"signed {fields['agreement_number']}", 0)
        return ids[key]

    def enroll(key: str, rows: list[EnrollmentRequest]) -> None:
        outcome = app.enroll_workers(ctx, ids[key], rows)
        assert outcome.written, [r.error for r in outcome.results if r.error][:3]
        progress(f"enrolled {len(rows)} workers", len(rows))

    common = {"funding_source": "APBD", "programs": ["JKK", "JKM"]}
    # Seed 000: Kota Binjai, MoU of 10 November 2025, 5,000 vulnerable workers.
    sign("binjai", agreement_number="MOU/BJ/2025/11", kind="MOU", region_code="12.75",
         region_name="Kota Binjai", sponsor="Pemerintah Kota Binjai",
         bpjs_office="BPJS Ketenagakerjaan Cabang Binjai", signed_on=date(2025, 11, 10),
         title="Perlindungan pekerja rentan Kota Binjai", starts_on=date(2025, 11, 10),
         ends_on=date(2026, 12, 31), quota=5000,
         signatories=[{"name": "Amir Hamzah", "role": "Wali Kota Binjai"}], **common)
    enroll("binjai", _workers(rng, "12.75", 5000, 1, starts_on=date(2025, 11, 10)))
    # Seed 002: Binjai's UCJ targets (32.48 % = 31,758 workers in 2024; 37.10 % in 2025).
    for year, percent in ((2024, 32.48), (2025, 37.10), (2026, 37.10)):
        app.set_coverage_target(ctx, "12.75", year, 97_777, percent)
    # Seed 001: Kota Medan's MoU, then PKS signed by its agencies (OPD) under it.
    sign("medan", agreement_number="MOU/MDN/2025/08", kind="MOU", region_code="12.71",
         region_name="Kota Medan", sponsor="Pemerintah Kota Medan",
         bpjs_office="BPJS Ketenagakerjaan Cabang Medan Kota", signed_on=date(2025, 8, 11),
         starts_on=date(2025, 9, 1), ends_on=date(2026, 12, 31), quota=3000,
         funding_source="APBD", programs=["JKK", "JKM", "JHT"])
    for n, opd in enumerate(MEDAN_OPD, start=1):
        key = f"medan-opd-{n}"
        sign(key, agreement_number=f"PKS/MDN/2025/{n:02d}", kind="PKS", parent_id=ids["medan"],
             region_code="12.71", region_name="Kota Medan", sponsor=opd,
             bpjs_office="BPJS Ketenagakerjaan Cabang Medan Kota", signed_on=date(2025, 9, 1),
             title=f"PKS {opd}", starts_on=date(2025, 9, 1), ends_on=date(2026, 8, 31),
             quota=300, funding_source="APBD", programs=["JKK", "JKM"])
        enroll(key, _workers(rng, "12.71", 150, 1000 * n, starts_on=date(2025, 9, 1)))
    # Seed 003: Labuhanbatu Selatan, 2,000 workers, October to December 2022, then 2023.
    sign("labusel", agreement_number="PKS/LBS/2022/10", kind="PKS", region_code="12.22",
         region_name="Kabupaten Labuhanbatu Selatan",
         sponsor="Pemerintah Kabupaten Labuhanbatu Selatan",
         bpjs_office="BPJS Ketenagakerjaan Cabang Kisaran", signed_on=date(2022, 10, 4),
         starts_on=date(2022, 10, 1), ends_on=date(2022, 12, 31), quota=2000, **common)
    enroll("labusel", _workers(rng, "12.22", 2000, 1, starts_on=date(2022, 10, 1)))
    app.renew_agreement(Context(actor="demo"), ids["labusel"], ends_on=date(2023, 12, 31),
                        reason="Janji Pemkab: perlindungan berlanjut di tahun 2023")
    progress("renewed PKS/LBS/2022/10 for 2023", 0)
    # Seed 004: Kota Serang, election officers and mosque officers.
    sign("serang", agreement_number="PKS/SRG/2024/02", kind="PKS", region_code="36.73",
         region_name="Kota Serang", sponsor="Pemerintah Kota Serang",
         bpjs_office="BPJS Ketenagakerjaan Kantor Wilayah Banten", signed_on=date(2024, 2, 7),
         starts_on=date(2024, 2, 1), ends_on=date(2024, 12, 31), quota=500, **common)
    enroll("serang", _workers(rng, "36.73", 300, 1, ("petugas pemilu", "petugas masjid",
                                                     "tenaga honorer"),
                              starts_on=date(2024, 2, 1)))
    record_ledger(app, ids, ctx)
    return ids
