"""Enrollment stories at scale, on SQLite and PostgreSQL: Labuhanbatu Selatan's
2,000 workers and their 2023 renewal, contributions, regional coverage (UCJ),
concurrent enrollment for the last free slots, termination, death and carry-over.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from projections import coverage_queries
from registry.domain.contributions import contributions
from registry.domain.dates import today
from registry.domain.errors import (
    AgreementNotActive,
    AlreadyCovered,
    InvalidTransition,
    QuotaExceeded,
    RegistryError,
    WorkerDeceased,
)
from registry.domain.region import Region
from tests.builders import (
    CTX,
    DEC31,
    NOV15,
    OCT1,
    enroll_worker,
    enrollment_request,
    nik,
    sign_labusel_pks,
)
from tests.integration.reads import billable, coverages, held, statuses

MARCH_2023 = date(2023, 3, 1)


def owed(registry: Any, agreement_id: UUID, first: tuple[int, int],
         last: tuple[int, int]) -> dict[str, Any]:
    """Contributions from the agreement's terms and the coverage model's billable workers."""
    agreement = registry.app.get_agreement(agreement_id)
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        return contributions(agreement.terms, first, last,
                             lambda start, end: coverage_queries.billable_workers(
                                 cur, str(agreement_id), start, end))


def enroll_labusel_workers(registry: Any) -> tuple[UUID, list[str]]:
    """Sign the PKS (quota 2,000, JKK + JKM, Oct-Dec 2022) and enroll 2,000 workers at once."""
    pks = sign_labusel_pks(registry)
    batch = [enrollment_request(i, row=i) for i in range(2000)]
    outcome = registry.app.enroll_workers(CTX, pks, batch, atomic=True)
    assert outcome.written is True, [r.error for r in outcome.results if r.error][:3]
    assert outcome.count("enrolled") == 2000
    return pks, [r.nik for r in batch]


def test_labuhanbatu_selatan_covers_2000_workers_and_carries_them_into_2023(registry):
    # Sign; enroll 2,000 workers from every village in one atomic batch.
    pks, workers = enroll_labusel_workers(registry)
    assert held(registry, pks) == 2000
    assert len(set(workers)) == 2000
    # Fail to exceed quota.
    with pytest.raises(QuotaExceeded):
        enroll_worker(registry, pks, 2000)
    # October to December 2022: 3 x 2,000 x Rp 16,800 = Rp 100,800,000.
    bill = owed(registry, pks, (2022, 10), (2022, 12))
    assert bill["months"] == [
        {"month": m, "workers": 2000, "monthly_contribution_idr": 16_800,
         "amount_idr": 33_600_000} for m in ("2022-10", "2022-11", "2022-12")]
    assert bill["total_idr"] == 100_800_000
    # Fail to renew with a quota the 2,000 carried-over workers do not fit in.
    with pytest.raises(QuotaExceeded):
        registry.app.renew_agreement(CTX, pks, ends_on=date(2023, 12, 31), quota=1999)
    assert len(registry.app.get_agreement(pks).terms) == 1
    # Renew for 2023 with carry-over: all 2,000 stay covered.
    renewed = registry.app.renew_agreement(CTX, pks, ends_on=date(2023, 12, 31),
                                           carry_over=True, reason="janji 2023")
    assert [(t.starts_on, t.quota, t.enrolled) for t in renewed.agreement.terms] == [
        (OCT1, 2000, 2000), (date(2023, 1, 1), 2000, 2000)]
    [coverage] = coverages(registry, workers[1234], MARCH_2023)
    assert (coverage["status"], coverage["term_number"], coverage["ends_on"]) == (
        "active", 2, "2023-12-31")
    with registry.store.transaction() as cur:
        region = coverage_queries.region_coverage(cur, "12.22", MARCH_2023)
        active, _ = coverage_queries.agreement_enrollments(
            cur, str(pks), on=MARCH_2023, status="active", after=0, limit=500)
    assert region["covered_workers"] == 2000
    assert region["by_program"] == {"JKK": 2000, "JKM": 2000, "JHT": 0}
    assert len(active) == 500
    assert owed(registry, pks, (2023, 1), (2023, 1))["total_idr"] == 33_600_000
    # The renewed term is full too.
    with pytest.raises(QuotaExceeded):
        enroll_worker(registry, pks, 2000, starts_on=MARCH_2023)


def test_a_renewal_without_carry_over_leaves_the_2022_workers_uncovered_in_2023(registry):
    pks, workers = enroll_labusel_workers(registry)
    # Renew for 2023 with a smaller quota and no carry-over.
    renewed = registry.app.renew_agreement(CTX, pks, ends_on=date(2023, 12, 31), quota=1500,
                                           carry_over=False)
    assert [(t.quota, t.enrolled) for t in renewed.agreement.terms] == [(2000, 2000), (1500, 0)]
    assert statuses(registry, workers[0], MARCH_2023) == ["ended"]
    assert statuses(registry, workers[0], DEC31) == ["active"]
    with registry.store.transaction() as cur:
        assert coverage_queries.region_coverage(cur, "12", MARCH_2023)["covered_workers"] == 0
    assert owed(registry, pks, (2022, 12), (2023, 1))["months"][1]["workers"] == 0
    # A 2022 worker may be enrolled afresh into the 2023 term.
    enroll_worker(registry, pks, 0, starts_on=date(2023, 1, 1))
    assert held(registry, pks, term=2) == 1
    assert statuses(registry, workers[0], MARCH_2023) == ["ended", "active"]


def test_contributions_count_a_worker_disenrolled_mid_month_in_that_month(registry):
    pks = sign_labusel_pks(registry, quota=10)
    staying, leaving = enroll_worker(registry, pks, 1), enroll_worker(registry, pks, 2)
    late = enroll_worker(registry, pks, 3, starts_on=date(2022, 11, 30))
    # Disenroll one on 15 November; a third starts on the last day of November.
    registry.app.disenroll_worker(CTX, pks, leaving, ends_on=NOV15, reason_code="MOVED_AWAY")
    bill = owed(registry, pks, (2022, 9), (2023, 1))
    assert [(m["month"], m["workers"], m["amount_idr"]) for m in bill["months"]] == [
        ("2022-09", 0, 0), ("2022-10", 2, 33_600), ("2022-11", 3, 50_400),
        ("2022-12", 2, 33_600), ("2023-01", 0, 0)]
    assert bill["total_idr"] == 117_600
    assert staying != late


def test_regional_coverage_of_a_province_counts_distinct_workers_by_program(registry):
    # Sign in Labuhanbatu Selatan (12.22), Medan (12.71, JHT only) and Serang (36.73).
    labusel = sign_labusel_pks(registry)
    medan = sign_labusel_pks(registry, agreement_number="PKS-MEDAN-JHT", region_code="12.71",
                             region_name="Kota Medan", programs=["JHT"], quota=50)
    serang = sign_labusel_pks(registry, agreement_number="PKS-SERANG", region_code="36.73",
                              region_name="Kota Serang", quota=50)
    # One worker covered twice (JKK + JKM in 12.22, JHT in 12.71), one JKK only,
    # one voided, one ended before the day asked, one in Serang.
    both = enroll_worker(registry, labusel, 1)
    enroll_worker(registry, medan, 1)
    enroll_worker(registry, labusel, 2, programs=["JKK"])
    voided = enroll_worker(registry, labusel, 3)
    registry.app.void_enrollment(CTX, labusel, voided, "salah input")
    ended = enroll_worker(registry, labusel, 4)
    registry.app.disenroll_worker(CTX, labusel, ended, ends_on=date(2022, 10, 31),
                                  reason_code="VOLUNTARY")
    enroll_worker(registry, serang, 5, nik=nik(5, region="36.73"))
    registry.app.set_coverage_target(CTX, "12", 2022, 400, 30.0)
    registry.app.set_coverage_target(CTX, "12", 2022, 200, 25.0)  # replaces the first
    goal = registry.app.repository.get(Region.create_id("12")).targets["2022"]
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        province = coverage_queries.region_coverage(cur, "12", NOV15)
        regency = coverage_queries.region_coverage(cur, "12.22", NOV15)
        october = coverage_queries.region_coverage(cur, "12", date(2022, 10, 20))
        banten = coverage_queries.region_coverage(cur, "36", NOV15)
    assert province["covered_workers"] == 2
    assert province["by_program"] == {"JKK": 2, "JKM": 1, "JHT": 1}
    assert [(a["agreement_id"], a["covered_workers"]) for a in province["agreements"]] == [
        (str(labusel), 2), (str(medan), 1)]  # by agreement_number
    assert regency["covered_workers"] == 2
    assert regency["by_program"] == {"JKK": 2, "JKM": 1, "JHT": 0}
    assert october["covered_workers"] == 3
    assert banten["covered_workers"] == 1
    assert goal == {"workforce": 200, "target_percent": 25.0}
    assert round(100 * province["covered_workers"] / goal["workforce"], 2) == 1.0  # realised %
    assert {c["nik"] for c in coverages(registry, both, NOV15)} == {
        str(registry.app.worker_id(both))}  # as the read model knows her: by pseudonym


def test_twenty_concurrent_enrollments_for_five_free_slots_enroll_exactly_five(registry):
    # Sign a PKS for fifteen; fill ten of the slots.
    pks = sign_labusel_pks(registry, quota=15)
    first = registry.app.enroll_workers(CTX, pks, [enrollment_request(i, row=i) for i in range(10)])
    assert first.written
    # Twenty threads race for the last five.
    gate = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def race(i: int) -> None:
        gate.wait()
        try:
            registry.app.enroll_worker(CTX, pks, enrollment_request(100 + i))
            outcome = "enrolled"
        except RegistryError as error:
            outcome = error.code
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = f"{type(error).__name__}: {error}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(outcomes) == {"enrolled": 5, "quota_exceeded": 15}
    # The aggregate and the read model agree: fifteen held, fifteen active.
    assert held(registry, pks) == 15
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        active, _ = coverage_queries.agreement_enrollments(
            cur, str(pks), on=NOV15, status="active", after=0, limit=100)
    assert len(active) == 15
    assert len({e["nik"] for e in active}) == 15


# Termination.

def test_enrollment_into_a_terminated_agreement_is_refused(registry):
    pks = sign_labusel_pks(registry)
    registry.app.terminate_agreement(CTX, pks, ends_on=NOV15, reason="APBD dipotong")
    with pytest.raises(AgreementNotActive):
        enroll_worker(registry, pks, 1)
    with pytest.raises(AgreementNotActive):
        enroll_worker(registry, pks, 2, starts_on=date(2022, 11, 1))
    assert held(registry, pks) == 0


def test_enrollment_outside_every_term_is_refused(registry):
    pks = sign_labusel_pks(registry)
    with pytest.raises(AgreementNotActive):
        enroll_worker(registry, pks, 1, starts_on=date(2023, 1, 1))
    # Without starts_on the enrollment starts today, long after this term ended.
    with pytest.raises(AgreementNotActive):
        enroll_worker(registry, pks, 1, starts_on=None)


def test_without_starts_on_coverage_starts_today_inside_the_current_term(registry):
    pks = sign_labusel_pks(registry, agreement_number="PKS-OPEN", starts_on=date(2020, 1, 1),
                           ends_on=date(2099, 12, 31), signed_on=date(2020, 1, 1))
    number = enroll_worker(registry, pks, 1, starts_on=None)
    [coverage] = coverages(registry, number, today())
    assert (coverage["starts_on"], coverage["ends_on"]) == (today().isoformat(), "2099-12-31")


def test_coverage_under_a_terminated_agreement_ends_on_the_termination_day(registry):
    pks = sign_labusel_pks(registry)
    other = sign_labusel_pks(registry, agreement_number="PKS-LABUSEL-DESA-2022")
    number = enroll_worker(registry, pks, 1)
    # Terminate in mid-November.
    registry.app.terminate_agreement(CTX, pks, ends_on=NOV15, reason="APBD dipotong")
    [coverage] = coverages(registry, number, NOV15)
    assert (coverage["status"], coverage["covered_until"]) == ("active", "2022-11-15")
    assert statuses(registry, number, date(2022, 11, 16)) == ["ended"]
    assert billable(registry, pks, date(2022, 12, 1), DEC31) == 0
    assert billable(registry, pks, date(2022, 11, 1), date(2022, 11, 30)) == 1
    # Another agreement may cover the worker from the next day, not before.
    with pytest.raises(AlreadyCovered):
        enroll_worker(registry, other, 1, starts_on=NOV15)
    enroll_worker(registry, other, 1, starts_on=date(2022, 11, 16))
    # The terminated agreement cannot be renewed.
    with pytest.raises(InvalidTransition):
        registry.app.renew_agreement(CTX, pks, ends_on=date(2023, 12, 31))


# Death.

def test_after_a_deceased_disenrollment_no_coverage_after_that_day(registry):
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1)
    registry.app.disenroll_worker(CTX, pks, number, ends_on=date(2022, 11, 10),
                                  reason_code="DECEASED", reason="kecelakaan kerja")
    # Fail to cover the dead under another agreement, or the same one again.
    later = sign_labusel_pks(registry, agreement_number="PKS-LABUSEL-2023",
                             starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31),
                             signed_on=date(2022, 12, 20))
    with pytest.raises(WorkerDeceased):
        enroll_worker(registry, later, 1, starts_on=date(2023, 1, 1))
    with pytest.raises(WorkerDeceased):
        enroll_worker(registry, pks, 1, starts_on=date(2022, 12, 1))
    jht_after = sign_labusel_pks(registry, agreement_number="PKS-JHT-NOV", programs=["JHT"],
                                 quota=5, starts_on=date(2022, 11, 11), ends_on=DEC31)
    with pytest.raises(WorkerDeceased):
        enroll_worker(registry, jht_after, 1, starts_on=date(2022, 11, 11))
    # Coverage ending on the day of death is fine.
    jht_before = sign_labusel_pks(registry, agreement_number="PKS-JHT-OCT", programs=["JHT"],
                                  quota=5, starts_on=OCT1, ends_on=date(2022, 11, 10))
    enroll_worker(registry, jht_before, 1)
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        found = coverage_queries.worker(cur, str(registry.app.worker_id(number)), NOV15, None)
    assert found is not None and found["deceased_on"] == "2022-11-10"
    assert [c["agreement_id"] for c in found["coverages"]] == [str(pks), str(jht_before)]


def test_a_disenrollment_for_another_reason_allows_later_coverage(registry):
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1)
    registry.app.disenroll_worker(CTX, pks, number, ends_on=date(2022, 11, 10),
                                  reason_code="BECAME_WAGE_EARNER")
    enroll_worker(registry, pks, 1, starts_on=date(2022, 12, 1))
    assert statuses(registry, number, date(2022, 12, 5)) == ["ended", "active"]


# Carry-over and the rules it must keep.

def test_a_carry_over_never_covers_a_worker_twice_for_the_same_program(registry):
    # A worker covered in 2022 by one agreement and in 2023 by another.
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1)
    village = sign_labusel_pks(registry, agreement_number="PKS-DESA-2023", funding_source="APBDES",
                               starts_on=date(2023, 1, 1), ends_on=date(2023, 12, 31), quota=10)
    enroll_worker(registry, village, 1, starts_on=date(2023, 1, 1))
    # Renew the first for 2023 with carry-over: refused, or the worker is not carried.
    try:
        registry.app.renew_agreement(CTX, pks, ends_on=date(2023, 12, 31))
    except RegistryError as error:
        assert error.code == "already_covered"
    active = [c for c in coverages(registry, number, MARCH_2023) if c["status"] == "active"]
    jkk = [c["agreement_id"] for c in active if "JKK" in c["programs"]]
    assert jkk == [str(village)]


def test_a_carry_over_never_covers_a_deceased_worker_after_death(registry):
    # A worker covered for JKK + JKM by one agreement and JHT by another.
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1)
    savings = sign_labusel_pks(registry, agreement_number="PKS-JHT-2022", programs=["JHT"],
                               quota=10)
    enroll_worker(registry, savings, 1)
    # Death is recorded under the first.
    registry.app.disenroll_worker(CTX, pks, number, ends_on=date(2022, 11, 10),
                                  reason_code="DECEASED")
    # The second stops paying for the dead too, and no renewal covers them in 2023.
    assert statuses(registry, number, date(2022, 11, 10)) == ["active", "active"]
    assert "active" not in statuses(registry, number, date(2022, 12, 1))
    assert billable(registry, savings, date(2022, 12, 1), DEC31) == 0
    assert held(registry, savings) == 0
    try:
        registry.app.renew_agreement(CTX, savings, ends_on=date(2023, 12, 31))
    except RegistryError as error:
        assert error.code == "worker_deceased"
    assert "active" not in statuses(registry, number, MARCH_2023)


def test_an_enrollment_that_starts_after_its_agreements_termination_blocks_nothing(registry):
    # Enroll from December; the agreement is terminated in November, before it began.
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1, starts_on=date(2022, 12, 1))
    registry.app.terminate_agreement(CTX, pks, ends_on=NOV15, reason="APBD dipotong")
    # It never covered a day, so another agreement may cover November.
    other = sign_labusel_pks(registry, agreement_number="PKS-LABUSEL-DESA-2022")
    enroll_worker(registry, other, 1, starts_on=date(2022, 11, 1))
    assert billable(registry, pks, date(2022, 10, 1), DEC31) == 0
    assert statuses(registry, number, date(2022, 11, 5)) == ["ended", "active"]
