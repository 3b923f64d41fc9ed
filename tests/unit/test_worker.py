"""The Worker aggregate's rules: given its events, when a command, then the events it records.

No database: the aggregate is built from events in memory, and the one round
trip through a store uses the library's in-memory (POPO) persistence.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

import pytest
from eventsourcing.application import Application

from events import (
    EnrollmentCarriedOver,
    EnrollmentVoided,
    RegistryEvent,
    WorkerCorrected,
    WorkerDisenrolled,
    WorkerEnrolled,
    WorkerRegistered,
)
from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Coverage, Details, Enrollment, EnrollmentAsDict
from registry.domain.errors import (
    AlreadyCovered,
    IdentityMismatch,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    WorkerDeceased,
)
from registry.domain.term import DateAsISO
from registry.domain.worker import Worker

CTX = Context("tester")
NIK = niks.make("12.22", 1, date(1990, 6, 5), "F", 1)
Fact = tuple[type[RegistryEvent], dict[str, Any]]


class Under(NamedTuple):
    """An agreement, as an enrollment names it."""

    number: str
    region_code: str

    @property
    def id(self) -> Any:
        return Agreement.create_id(self.number)


LABUSEL = Under("PKS-LABUSEL-2022", "12.22")
LABUSEL_JKM = Under("PKS-LABUSEL-2022-JKM", "12.22")
MEDAN = Under("PKS-MEDAN-OPD-2022", "12.71")
OCT_1, OCT_31, NOV_1, NOV_15, DEC_31 = (date(2022, 10, 1), date(2022, 10, 31),
                                        date(2022, 11, 1), date(2022, 11, 15),
                                        date(2022, 12, 31))


# Facts, as the worker's stream records them.

def registered(name: str = "Siti Aminah") -> Fact:
    return WorkerRegistered, {"nik": NIK, "name": name, "birth_date": None, "sex": None,
                              "occupation": "petani", "address": None}


def enrolled(enrollment_id: str, under: Under = LABUSEL, programs: tuple[str, ...] = ("JKK",),
             starts_on: date = OCT_1, ends_on: date = DEC_31, term_number: int = 1) -> Fact:
    return WorkerEnrolled, {
        "enrollment_id": enrollment_id, "agreement_id": under.id,
        "agreement_number": under.number, "region_code": under.region_code,
        "term_number": term_number, "programs": list(programs), "starts_on": starts_on,
        "ends_on": ends_on, "name": "Siti Aminah", "birth_date": None, "sex": None,
        "occupation": "petani", "address": None}


def disenrolled(enrollment_id: str, ends_on: date, reason_code: str = "MOVED_AWAY",
                under: Under = LABUSEL) -> Fact:
    return WorkerDisenrolled, {"enrollment_id": enrollment_id, "agreement_id": under.id,
                               "ends_on": ends_on, "reason_code": reason_code, "reason": None}


def voided(enrollment_id: str, under: Under = LABUSEL) -> Fact:
    return EnrollmentVoided, {"enrollment_id": enrollment_id, "agreement_id": under.id,
                              "reason": "entered twice"}


def given(*facts: Fact) -> Worker:
    """The worker as these facts, in this order, left it; nothing pending."""
    worker: Any = None
    for version, (kind, fields) in enumerate(facts, start=1):
        created = {"originator_topic": "Worker"} if kind is WorkerRegistered else {}
        event = kind(originator_id=Worker.create_id(NIK), originator_version=version,
                     timestamp=kind.create_timestamp(), actor="tester", request_id="r",
                     **created, **fields)
        worker = event.mutate(worker)
    assert isinstance(worker, Worker)
    return worker


def then(worker: Worker, *expected: Fact) -> None:
    """The command recorded exactly these facts, each with at least these fields."""
    happened = worker.collect_events()
    assert [type(e) for e in happened] == [kind for kind, _ in expected]
    for event, (_, fields) in zip(happened, expected, strict=True):
        assert {k: getattr(event, k) for k in fields} == fields


# Commands, as the service gives them.

def coverage(under: Under = LABUSEL, programs: tuple[str, ...] = ("JKK",),
             starts_on: date = OCT_1, ends_on: date = DEC_31, term_number: int = 1) -> Coverage:
    return Coverage(under.id, under.number, under.region_code, term_number, list(programs),
                    starts_on, ends_on)


SITI = Details(name="Siti Aminah", occupation="petani")


# Double coverage.

def test_a_program_covered_under_another_agreement_on_the_same_days_is_refused():
    worker = given(registered(), enrolled("e1", MEDAN, ("JKK", "JKM")))

    with pytest.raises(AlreadyCovered, match="already covered for JKK from 2022-10-01 to "
                                             "2022-12-31 under agreement PKS-MEDAN-OPD-2022"):
        worker.enroll(CTX, coverage(LABUSEL, ("JKK",), NOV_1), SITI)

    then(worker)


def test_another_program_on_the_same_days_is_enrolled():
    worker = given(registered(), enrolled("e1", MEDAN, ("JKK",)))

    worker.enroll(CTX, coverage(LABUSEL_JKM, ("JKM",), NOV_1), SITI)

    then(worker, (WorkerEnrolled, {"agreement_id": LABUSEL_JKM.id, "programs": ["JKM"],
                                   "starts_on": NOV_1, "ends_on": DEC_31, "term_number": 1}))


def test_the_same_program_from_the_day_after_the_other_coverage_ends_is_enrolled():
    worker = given(registered(), enrolled("e1", MEDAN, ("JKK",), ends_on=OCT_31))

    worker.enroll(CTX, coverage(LABUSEL, ("JKK",), NOV_1), SITI)

    then(worker, (WorkerEnrolled, {"agreement_id": LABUSEL.id, "starts_on": NOV_1}))


def test_a_second_enrollment_under_the_same_agreement_is_refused_even_for_another_program():
    worker = given(registered(), enrolled("e1", LABUSEL, ("JKK",)))

    with pytest.raises(AlreadyCovered, match="already enrolled under agreement PKS-LABUSEL-2022"):
        worker.enroll(CTX, coverage(LABUSEL, ("JKM",), NOV_1), SITI)

    then(worker)


def test_coverage_ended_or_voided_before_the_new_start_does_not_count():
    worker = given(registered(),
                   enrolled("e1", MEDAN, ("JKK",)), disenrolled("e1", OCT_31, under=MEDAN),
                   enrolled("e2", LABUSEL_JKM, ("JKK",)), voided("e2", LABUSEL_JKM))

    worker.enroll(CTX, coverage(LABUSEL, ("JKK",), NOV_1), SITI)

    then(worker, (WorkerEnrolled, {"agreement_id": LABUSEL.id, "starts_on": NOV_1}))


def test_coverage_under_an_agreement_terminated_before_the_new_start_does_not_count():
    worker = given(registered(), enrolled("e1", MEDAN, ("JKK",)))

    worker.enroll(CTX, coverage(LABUSEL, ("JKK",), NOV_1), SITI, {MEDAN.id: OCT_31})

    then(worker, (WorkerEnrolled, {"agreement_id": LABUSEL.id, "starts_on": NOV_1}))


def test_coverage_under_an_agreement_terminated_later_still_counts_until_then():
    worker = given(registered(), enrolled("e1", MEDAN, ("JKK",)))

    with pytest.raises(AlreadyCovered, match="from 2022-10-01 to 2022-11-15"):
        worker.enroll(CTX, coverage(LABUSEL, ("JKK",), NOV_1), SITI, {MEDAN.id: NOV_15})


# Identity.

def test_another_name_for_the_nik_is_refused():
    worker = given(registered("Siti Aminah"))

    with pytest.raises(IdentityMismatch):
        worker.enroll(CTX, coverage(), Details(name="Rina Marlina", occupation="petani"))

    then(worker)


def test_the_recorded_name_spelled_another_way_is_the_same_name():
    worker = given(registered("Siti Aminah"))

    worker.enroll(CTX, coverage(), Details(name="SITI  AMINAH,", occupation="nelayan"))

    then(worker, (WorkerEnrolled, {"name": "SITI  AMINAH,", "occupation": "nelayan"}))
    assert (worker.name, worker.occupation) == ("Siti Aminah", "petani")


# Ending and voiding.

def test_disenrolling_ends_the_enrollment_holding_the_day_and_returns_it_as_it_was():
    worker = given(registered(), enrolled("e1"))

    before = worker.disenroll(CTX, LABUSEL.id, ends_on=NOV_15, reason_code="MOVED_AWAY")

    then(worker, (WorkerDisenrolled, {"enrollment_id": "e1", "ends_on": NOV_15,
                                      "reason_code": "MOVED_AWAY"}))
    assert (before.status, before.ends_on) == ("active", DEC_31)
    assert worker.enrollments["e1"] == Enrollment(
        "e1", LABUSEL.id, LABUSEL.number, "12.22", 1, ("JKK",), OCT_1, NOV_15, "ended",
        "MOVED_AWAY")


@pytest.mark.parametrize(("ends_on", "reason_code", "error"), [
    (date(2022, 9, 30), "MOVED_AWAY", ValidationFailed),
    (date(2023, 1, 1), "MOVED_AWAY", ValidationFailed),
    (NOV_15, "RETIRED", ValidationFailed),
])
def test_an_end_outside_the_coverage_or_without_a_known_reason_is_refused(ends_on, reason_code,
                                                                          error):
    worker = given(registered(), enrolled("e1"))

    with pytest.raises(error):
        worker.end(CTX, "e1", ends_on=ends_on, reason_code=reason_code)

    then(worker)


def test_an_ended_enrollment_cannot_end_again():
    worker = given(registered(), enrolled("e1"), disenrolled("e1", NOV_15))

    with pytest.raises(InvalidTransition, match="already ended"):
        worker.end(CTX, "e1", ends_on=NOV_1, reason_code="OTHER")


def test_voiding_needs_a_reason_and_an_enrollment_under_the_agreement():
    worker = given(registered(), enrolled("e1"))

    with pytest.raises(ValidationFailed):
        worker.void(CTX, LABUSEL.id, "  ")
    with pytest.raises(NotFound):
        worker.void(CTX, MEDAN.id, "entered twice")
    worker.void(CTX, LABUSEL.id, "entered twice")

    then(worker, (EnrollmentVoided, {"enrollment_id": "e1", "reason": "entered twice"}))
    assert worker.live_enrollments() == []


# Death.

def test_no_coverage_is_enrolled_past_a_recorded_death():
    worker = given(registered(), enrolled("e1", MEDAN),
                   disenrolled("e1", OCT_31, "DECEASED", under=MEDAN))

    with pytest.raises(WorkerDeceased, match="deceased on 2022-10-31"):
        worker.enroll(CTX, coverage(LABUSEL_JKM, ("JKM",), NOV_1), SITI)

    then(worker)
    assert worker.deceased_on == OCT_31


def test_coverage_that_ends_by_the_day_of_death_is_still_enrolled():
    worker = given(registered(), enrolled("e1", MEDAN, ends_on=NOV_15),
                   disenrolled("e1", NOV_15, "DECEASED", under=MEDAN))

    worker.enroll(CTX, coverage(LABUSEL_JKM, ("JKM",), OCT_1, NOV_15), SITI)

    then(worker, (WorkerEnrolled, {"starts_on": OCT_1, "ends_on": NOV_15}))


def test_the_enrollments_a_death_outlives_are_the_live_ones_ending_after_it():
    worker = given(registered(),
                   enrolled("e1", LABUSEL, ("JKK",), ends_on=OCT_31),
                   enrolled("e2", MEDAN, ("JKM",)),
                   enrolled("e3", LABUSEL_JKM, ("JHT",), starts_on=NOV_15),
                   voided("e3", LABUSEL_JKM))

    assert [e.enrollment_id for e in worker.outlived_enrollments(NOV_1)] == ["e2"]
    assert [e.enrollment_id for e in worker.outlived_enrollments(date(2022, 10, 15))] == [
        "e1", "e2"]


def test_an_enrollment_already_ended_after_the_death_is_cut_to_the_day_of_death():
    worker = given(registered(), enrolled("e1", MEDAN), disenrolled("e1", NOV_15, under=MEDAN))

    worker.cut_at_death(CTX, "e1", NOV_1, "deceased on 2022-11-01")

    then(worker, (WorkerDisenrolled, {"enrollment_id": "e1", "ends_on": NOV_1,
                                      "reason_code": "DECEASED"}))
    assert (worker.deceased_on, worker.enrollments["e1"].ends_on) == (NOV_1, NOV_1)


# Carry-over into a renewal's term.

def test_a_term_that_follows_without_a_gap_extends_the_enrollment():
    worker = given(registered(), enrolled("e1", ends_on=DEC_31))

    worker.carry_over(CTX, "e1", 2, date(2023, 1, 1), date(2023, 12, 31))

    then(worker, (EnrollmentCarriedOver, {"enrollment_id": "e1", "term_number": 2,
                                          "ends_on": date(2023, 12, 31)}))
    assert (worker.enrollments["e1"].term_number, worker.enrollments["e1"].ends_on) == (
        2, date(2023, 12, 31))


def test_after_a_gap_the_worker_is_enrolled_anew_from_the_terms_start():
    worker = given(registered(), enrolled("e1", programs=("JKK", "JKM"), ends_on=DEC_31))

    worker.carry_over(CTX, "e1", 2, date(2023, 2, 1), date(2023, 12, 31))

    then(worker, (WorkerEnrolled, {"agreement_id": LABUSEL.id, "term_number": 2,
                                   "programs": ["JKK", "JKM"], "starts_on": date(2023, 2, 1),
                                   "ends_on": date(2023, 12, 31), "name": "Siti Aminah"}))
    assert len(worker.live_enrollments()) == 2


def test_a_renewal_continues_a_worker_unless_dead_or_covered_elsewhere_in_the_new_term():
    renewal = (date(2023, 1, 1), date(2023, 12, 31))
    free = given(registered(), enrolled("e1"))
    covered = given(registered(), enrolled("e1"),
                    enrolled("e2", MEDAN, ("JKK",), starts_on=date(2023, 1, 1),
                             ends_on=date(2023, 6, 30)))
    dead = given(registered(), enrolled("e1"), enrolled("e2", MEDAN, ("JKM",)),
                 disenrolled("e2", NOV_15, "DECEASED", under=MEDAN))

    assert free.can_continue("e1", *renewal, {})
    assert not covered.can_continue("e1", *renewal, {})
    assert covered.can_continue("e1", *renewal, {MEDAN.id: DEC_31})
    assert not dead.can_continue("e1", *renewal, {})


# Who may read the worker.

@pytest.mark.parametrize(("regions", "visible"), [
    (None, True),
    (("12.22",), True),
    (("12",), True),
    (("12.71",), False),
    (("13",), False),
])
def test_a_scoped_token_reads_a_worker_enrolled_in_its_regions(regions, visible):
    worker = given(registered(), enrolled("e1", LABUSEL))

    assert worker.visible_in(regions) is visible


def test_a_voided_enrollment_shows_the_worker_to_no_region_and_an_ended_one_still_does():
    worker = given(registered(), enrolled("e1", LABUSEL), voided("e1"),
                   enrolled("e2", MEDAN), disenrolled("e2", NOV_15, under=MEDAN))

    assert not worker.visible_in(("12.22",))
    assert worker.visible_in(("12.71",))


# Through a store: the library's in-memory persistence, snapshots included.

class InMemory(Application):
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo", "IS_SNAPSHOTTING_ENABLED": "y"}

    def register_transcodings(self, transcoder: Any) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(EnrollmentAsDict())


def test_a_worker_comes_back_from_its_snapshot_with_the_same_enrollments():
    store = InMemory()
    worker = Worker.register(CTX, NIK, SITI)
    worker.enroll(CTX, coverage(MEDAN, ("JKK", "JKM")), SITI)
    worker.disenroll(CTX, MEDAN.id, ends_on=NOV_15, reason_code="MOVED_AWAY")
    store.save(worker)
    store.take_snapshot(worker.id)

    loaded = store.repository.get(worker.id)

    assert loaded.enrollments == worker.enrollments
    (enrollment,) = loaded.enrollments.values()
    assert enrollment.programs == ("JKK", "JKM")
    assert (enrollment.status, enrollment.reason_code) == ("ended", "MOVED_AWAY")


# Registration and corrections.

def test_registering_a_worker_records_the_nik_and_the_details_sent():
    details = Details(name="Siti Aminah", occupation="petani", birth_date=date(1990, 6, 5),
                      sex="F", address="Desa Kotapinang")

    worker = Worker.register(CTX, NIK, details)

    assert worker.id == Worker.create_id(NIK)
    then(worker, (WorkerRegistered, {
        "nik": NIK, "name": "Siti Aminah", "occupation": "petani",
        "birth_date": date(1990, 6, 5), "sex": "F", "address": "Desa Kotapinang",
        "actor": "tester"}))
    assert (worker.name, worker.birth_date, worker.sex, worker.address) == (
        "Siti Aminah", date(1990, 6, 5), "F", "Desa Kotapinang")


def test_a_correction_records_only_the_fields_that_change_with_its_reason():
    worker = given(registered())

    worker.correct(Context("registrar-lbs", "req-9"), "salah ketik di formulir",
                   name="Siti Aminah Harahap", occupation="petani", address="Desa Sisumut",
                   nik="9999999999999999")

    then(worker, (WorkerCorrected, {
        "reason": "salah ketik di formulir", "name": "Siti Aminah Harahap",
        "occupation": "petani", "address": "Desa Sisumut", "birth_date": None, "sex": None,
        "actor": "registrar-lbs", "request_id": "req-9"}))
    assert (worker.nik, worker.name, worker.occupation, worker.address) == (
        NIK, "Siti Aminah Harahap", "petani", "Desa Sisumut")


def test_a_corrected_birth_date_and_sex_must_agree_with_the_nik():
    worker = given(registered())

    worker.correct(CTX, "dari KTP", birth_date=date(1990, 6, 5), sex="F")
    then(worker, (WorkerCorrected, {"birth_date": date(1990, 6, 5), "sex": "F"}))
    assert (worker.birth_date, worker.sex) == (date(1990, 6, 5), "F")

    with pytest.raises(ValidationFailed) as wrong_sex:
        worker.correct(CTX, "dari KTP", sex="M")
    assert "sex" in (wrong_sex.value.errors or {})
    with pytest.raises(ValidationFailed) as wrong_day:
        worker.correct(CTX, "dari KTP", birth_date=date(1990, 6, 6))
    assert "birth_date" in (wrong_day.value.errors or {})
    then(worker)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_correction_without_a_reason_is_refused(reason):
    worker = given(registered())

    with pytest.raises(ValidationFailed) as refused:
        worker.correct(CTX, reason, name="Siti A.")

    assert refused.value.errors == {"reason": "must not be blank"}
    then(worker)


@pytest.mark.parametrize("changes", [{}, {"name": "Siti Aminah"}, {"name": None},
                                     {"occupation": "petani", "nik": "1"}])
def test_a_correction_that_changes_nothing_is_refused(changes):
    worker = given(registered())

    with pytest.raises(ValidationFailed) as refused:
        worker.correct(CTX, "cek ulang", **changes)

    assert refused.value.errors == {"_schema": "no field differs from the record"}
    then(worker)


def test_an_enrollment_after_a_corrected_name_needs_the_corrected_name():
    worker = given(registered(), (WorkerCorrected, {
        "reason": "KTP", "name": "Siti Aminah Harahap", "birth_date": None, "sex": None,
        "occupation": None, "address": None}))

    with pytest.raises(IdentityMismatch):
        worker.enroll(CTX, coverage(), SITI)
    worker.enroll(CTX, coverage(), Details("SITI AMINAH HARAHAP", "petani"))

    then(worker, (WorkerEnrolled, {"name": "SITI AMINAH HARAHAP", "agreement_id": LABUSEL.id}))
    assert worker.name == "Siti Aminah Harahap"  # details sent with an enrollment stay with it
