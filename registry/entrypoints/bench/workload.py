"""The benchmark's data: agreements and distinct, valid workers, made deterministically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.dates import today
from registry.domain.enrollment import Details
from registry.entrypoints.bench.harness import BenchError
from registry.service.application import RegistryApplication
from registry.service.enrollments import EnrollmentRequest

OCCUPATIONS = ("petani", "tukang becak", "pedagang", "penggali kubur", "nelayan",
               "buruh harian lepas", "petugas pemilu")
NAMES = ("Siti", "Budi", "Rahmat", "Dewi", "Agus", "Nur", "Putri", "Hendra", "Sri", "Yusuf")
REGIONS = ("12.75", "12.71", "12.22", "36.73", "35.78", "31.71", "73.71", "51.71")
SERIALS = 9999
BIRTH_DAYS = 14_000  # about 38 years of birth dates
FIRST_BIRTH = date(1965, 1, 1)
# The benchmark's agreements run through this year: the workers it enrolls are covered
# from the day they are written (the default start) to its end.
STARTS_ON = date(today().year, 1, 1)
ENDS_ON = date(today().year, 12, 31)


def read_day() -> str:
    """The day reads ask about: today, a day every worker written so far is covered."""
    return min(max(today(), STARTS_ON), ENDS_ON).isoformat()


def worker(index: int, region_code: str = REGIONS[0]) -> dict[str, Any]:
    """Worker number `index`: a NIK no other index gives, and details that match it."""
    serial = index % SERIALS
    born = FIRST_BIRTH + timedelta(days=(index // SERIALS) % BIRTH_DAYS)
    district = 1 + index // (SERIALS * BIRTH_DAYS)
    sex = "MF"[index % 2]
    return {
        "nik": niks.make(region_code, district, born, sex, serial - 1),
        "name": f"{NAMES[index % len(NAMES)]} {NAMES[(index // 7) % len(NAMES)]}",
        "birth_date": born.isoformat(), "sex": sex,
        "occupation": OCCUPATIONS[index % len(OCCUPATIONS)],
        "address": f"Jl. Pemuda No. {index % 300 + 1}",
    }


def workers(first: int, count: int, region_code: str = REGIONS[0]) -> list[dict[str, Any]]:
    return [worker(i, region_code) for i in range(first, first + count)]


AGREEMENT_QUOTA = 50_000


def region_of(index: int) -> str:
    """The region `grow` enrolls worker number `index` in (and makes its NIK in)."""
    return REGIONS[(index // AGREEMENT_QUOTA) % len(REGIONS)]


def agreement(number: str, quota: int, region_code: str = REGIONS[0]) -> dict[str, Any]:
    """A PKS as a regional government signs it, in the API's JSON shape."""
    return {
        "agreement_number": number, "kind": "PKS", "region_code": region_code,
        "region_name": f"Region {region_code}", "sponsor": f"Pemerintah {region_code}",
        "bpjs_office": "BPJS Ketenagakerjaan",
        "signed_on": date(STARTS_ON.year - 1, 12, 15).isoformat(),
        "starts_on": STARTS_ON.isoformat(), "ends_on": ENDS_ON.isoformat(),
        "quota": quota, "funding_source": "APBD", "programs": ["JKK", "JKM"],
    }


def agreement_fields(payload: dict[str, Any]) -> dict[str, Any]:
    fields = dict(payload)
    for key in ("signed_on", "starts_on", "ends_on"):
        fields[key] = date.fromisoformat(fields[key])
    return fields


def enrollment_requests(rows: list[dict[str, Any]]) -> list[EnrollmentRequest]:
    return [EnrollmentRequest(
        nik=r["nik"], row=n, details=Details(
            name=r["name"], occupation=r["occupation"], sex=r["sex"], address=r["address"],
            birth_date=date.fromisoformat(r["birth_date"])))
        for n, r in enumerate(rows)]


EVENTS_PER_BATCH_WORKER = 2  # WorkerRegistered and WorkerEnrolled


def enroll(app: RegistryApplication, ctx: Context, agreement_id: UUID,
           requests: list[EnrollmentRequest]) -> None:
    """Enroll the benchmark's own rows, all of them: a refusal is the benchmark's fault."""
    outcome = app.enroll_workers(ctx, agreement_id, requests)
    if not outcome.written:
        errors = [r.error for r in outcome.results if r.error][:3]
        raise BenchError(f"the benchmark's own batch was refused: {errors}")


def grow(app: RegistryApplication, target_events: int, *, first_worker: int = 0,
         batch: int = 5000, progress: Callable[[int], None] = lambda _n: None) -> int:
    """Enroll new workers in batches until the log holds about `target_events`.

    Writes through the application service, as the API does, so the log holds
    the same events a real registry would. Worker number i is enrolled in
    `region_of(i)`, under an agreement of that region. Returns the next unused
    worker index.
    """
    ctx = Context(actor="bench")
    index = first_worker
    agreement_id: UUID | None = None
    while app.head_position() < target_events:
        if agreement_id is None or index % AGREEMENT_QUOTA == 0:
            region = region_of(index)
            payload = agreement(f"PKS/BENCH/{index // AGREEMENT_QUOTA:05d}/{index}",
                                AGREEMENT_QUOTA, region)
            agreement_id = app.sign_agreement(ctx, **agreement_fields(payload)).agreement.id
        left = (target_events - app.head_position()) // EVENTS_PER_BATCH_WORKER
        # Never across a region's boundary: every worker's NIK is in its region.
        count = max(1, min(batch, AGREEMENT_QUOTA - index % AGREEMENT_QUOTA, left))
        enroll(app, ctx, agreement_id, enrollment_requests(workers(index, count, region_of(index))))
        index += count
        progress(app.head_position())
    return index
