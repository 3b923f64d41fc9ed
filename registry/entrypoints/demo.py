"""`registry demo`: the seed articles' agreements, with generated but valid workers.

Binjai's MOU (5,000 workers), Medan's MOU with the PKS of 16 city agencies (OPD)
under it, Labuhanbatu Selatan's PKS of October 2022 renewed for 2023, and
Serang's PKS for honorary staff, election and mosque officers; UCJ targets for
Binjai.

All or nothing: before it writes anything, `load` checks that none of its
agreement numbers is taken (the README walkthrough signs PKS/LBS/2022/10 by hand).
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
from registry.domain.errors import DuplicateAgreementNumber, NotFound
from registry.entrypoints.demo_ledger import record_ledger
from registry.service.application import RegistryApplication
from registry.service.enrollments import EnrollmentRequest

OCCUPATIONS = ("petani", "tukang becak", "pedagang", "penggali kubur", "bilal mayit",
               "Tagana (relawan bencana)", "nelayan", "buruh harian lepas")
# Given names by sex, so that a name matches the sex its NIK encodes.
NAMES = {
    "F": ("Siti", "Dewi", "Putri", "Sri", "Rina", "Lestari", "Wati", "Nur", "Aminah", "Fitri",
          "Yanti", "Ratna", "Intan", "Ayu", "Wulandari", "Rahmawati", "Sartika", "Melati"),
    "M": ("Budi", "Rahmat", "Agus", "Hendra", "Yusuf", "Fajar", "Irwan", "Joko", "Ahmad",
          "Dedi", "Bambang", "Rudi", "Syahputra", "Hidayat", "Gunawan", "Saputra", "Ridwan"),
}
# Kota Medan's agencies (OPD) that sign a PKS under the city's MOU: name, quota,
# workers enrolled, and what those workers do.
MEDAN_OPD: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("Dinas Kebersihan dan Pertamanan", 200, 150, ("penyapu jalan", "petugas pertamanan")),
    ("Dinas Perhubungan", 150, 120, ("juru parkir", "tukang becak")),
    ("Dinas Ketahanan Pangan, Pertanian dan Perikanan", 150, 110, ("petani", "nelayan")),
    ("Satuan Polisi Pamong Praja", 100, 60, ("tenaga harian lepas",)),
    ("Dinas Pendidikan", 120, 80, ("penjaga sekolah", "tenaga honorer")),
    ("Dinas Kesehatan", 100, 70, ("kader posyandu", "tenaga honorer")),
    ("Dinas Sosial", 150, 100, ("pekerja sosial masyarakat", "bilal mayit",
                                "penggali kubur")),
    ("Dinas Pekerjaan Umum", 120, 90, ("buruh harian lepas", "petugas drainase")),
    ("Dinas Perumahan, Kawasan Permukiman dan Penataan Ruang", 80, 50,
     ("tukang bangunan",)),
    ("Dinas Lingkungan Hidup", 120, 90, ("pemulung", "petugas kebersihan")),
    ("Dinas Pemadam Kebakaran dan Penyelamatan", 60, 40, ("relawan pemadam kebakaran",)),
    ("Badan Penanggulangan Bencana Daerah", 80, 60, ("Tagana (relawan bencana)",)),
    ("Dinas Koperasi, Usaha Kecil dan Menengah dan Perdagangan", 120, 100,
     ("pedagang pasar", "pedagang kaki lima")),
    ("Dinas Pariwisata", 60, 40, ("pemandu wisata", "perajin")),
    ("Dinas Tenaga Kerja", 80, 60, ("buruh harian lepas", "pekerja rumah tangga")),
    ("Dinas Kependudukan dan Pencatatan Sipil", 60, 40, ("tenaga honorer",)),
)
MEDAN_MOU_QUOTA = 3000
SERANG_OCCUPATIONS = ("petugas pemilu", "tenaga honorer", "marbot", "imam masjid", "muazin")
# Every agreement the demo signs: what must not exist before it starts.
NUMBERS = ("MOU/BJ/2025/11", "MOU/MDN/2025/08",
           *(f"PKS/MDN/2025/{n:02d}" for n in range(1, len(MEDAN_OPD) + 1)),
           "PKS/LBS/2022/10", "PKS/SRG/2024/02")
SERANG_WORKERS = 300
WORKERS = 5000 + sum(opd[2] for opd in MEDAN_OPD) + 2000 + SERANG_WORKERS

Progress = Callable[[str, int], None]


def _workers(rng: random.Random, region: str, count: int, first_serial: int,
             occupations: tuple[str, ...] = OCCUPATIONS,
             starts_on: date | None = None) -> list[EnrollmentRequest]:
    rows = []
    for i in range(count):
        sex = rng.choice("MF")
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 40 * 365))
        nik = niks.make(region, rng.randrange(1, 30), born, sex, first_serial + i)
        name = f"{rng.choice(NAMES[sex])} {rng.choice(NAMES[sex])}"
        rows.append(EnrollmentRequest(
            nik=nik, details=Details(name=name, occupation=rng.choice(occupations),
                                     birth_date=born, sex=sex),
            starts_on=starts_on, row=i))
    return rows


def taken(app: RegistryApplication) -> list[str]:
    """The demo's agreement numbers already signed in this store."""
    found = []
    for number in NUMBERS:
        try:
            app.get_agreement(Agreement.create_id(number))
        except NotFound:
            continue
        found.append(number)
    return found


def refuse_if_taken(app: RegistryApplication) -> None:
    """DuplicateAgreementNumber, naming them, if any of the demo's numbers is taken."""
    already = taken(app)
    if already:
        raise DuplicateAgreementNumber(
            f"this store already holds {', '.join(already)}, which the demo signs; "
            "it wrote nothing. Load the demo into an empty database",
            {"agreement_number": ", ".join(already)})


def load(app: RegistryApplication, progress: Progress = lambda _s, _n: None) -> dict[str, UUID]:
    """Write the seed scenarios; returns the agreements' ids by short name.

    Writes nothing, and raises DuplicateAgreementNumber naming them, if any of
    its agreement numbers is already taken.
    """
    refuse_if_taken(app)
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
    # Seed 001: Kota Medan's MoU, then a PKS signed by each of 16 agencies (OPD) under it.
    sign("medan", agreement_number="MOU/MDN/2025/08", kind="MOU", region_code="12.71",
         region_name="Kota Medan", sponsor="Pemerintah Kota Medan",
         bpjs_office="BPJS Ketenagakerjaan Cabang Medan Kota", signed_on=date(2025, 8, 11),
         starts_on=date(2025, 9, 1), ends_on=date(2026, 12, 31), quota=MEDAN_MOU_QUOTA,
         funding_source="APBD", programs=["JKK", "JKM", "JHT"])
    for n, (opd, quota, workers, occupations) in enumerate(MEDAN_OPD, start=1):
        key = f"medan-opd-{n}"
        sign(key, agreement_number=f"PKS/MDN/2025/{n:02d}", kind="PKS", parent_id=ids["medan"],
             region_code="12.71", region_name="Kota Medan", sponsor=opd,
             bpjs_office="BPJS Ketenagakerjaan Cabang Medan Kota", signed_on=date(2025, 9, 1),
             title=f"PKS {opd}", starts_on=date(2025, 9, 1), ends_on=date(2026, 8, 31),
             quota=quota, funding_source="APBD", programs=["JKK", "JKM"])
        # Serials 500 apart: no two agencies' workers share a NIK.
        enroll(key, _workers(rng, "12.71", workers, 500 * n, occupations,
                             starts_on=date(2025, 9, 1)))
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
    # Seed 004: Kota Serang, honorary staff, election officers and mosque officers.
    sign("serang", agreement_number="PKS/SRG/2024/02", kind="PKS", region_code="36.73",
         region_name="Kota Serang", sponsor="Pemerintah Kota Serang",
         bpjs_office="BPJS Ketenagakerjaan Kantor Wilayah Banten", signed_on=date(2024, 2, 7),
         starts_on=date(2024, 2, 1), ends_on=date(2024, 12, 31), quota=500, **common)
    enroll("serang", _workers(rng, "36.73", SERANG_WORKERS, 1, SERANG_OCCUPATIONS,
                              starts_on=date(2024, 2, 1)))
    record_ledger(app, ids, ctx)
    return ids
