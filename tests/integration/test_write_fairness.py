"""A slow write is not starved by quick ones on the same agreement (both engines).

A second `RegistryApplication` on the same database stands for another
server process that keeps enrolling single workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.errors import ConcurrentUpdate
from registry.service.application import RegistryApplication
from registry.store import reservations
from tests.builders import CTX, enrollment_request, sign_labusel_pks

SLOW_SECONDS = 0.3  # between reading the agreement and saving: longer than a single takes


class Rival:
    """Another process that enrolls one worker after another on the agreement."""

    def __init__(self, registry: Registry, agreement_id: UUID) -> None:
        self.app = RegistryApplication(registry.settings.database, create_tables=False)
        self.agreement_id = agreement_id
        self.enrolled: list[int] = []
        self.errors: list[Exception] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._keep_enrolling, daemon=True)

    def __enter__(self) -> Rival:
        self._thread.start()
        deadline = time.monotonic() + 10
        while len(self.enrolled) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)  # under way before the slow write starts
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.app.close()

    def _keep_enrolling(self) -> None:
        for i in range(500):
            if self._stop.wait(0.005):
                return
            try:
                self.app.enroll_worker(CTX, self.agreement_id, enrollment_request(5000 + i))
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(e)
                return
            self.enrolled.append(i)


def slow_write(registry: Registry, agreement_id: UUID) -> tuple[list[int], int]:
    """Take a slot the way a long batch does: read, work a while, save. Returns attempts."""
    attempts: list[int] = []

    def attempt() -> tuple[list[Any], int]:
        attempts.append(len(attempts) + 1)
        agreement = registry.app.agreement_for_write(agreement_id, None)
        time.sleep(SLOW_SECONDS)
        agreement.take_slots(CTX, 1, 1)
        return [agreement], agreement.version

    _, position = registry.app.write(attempt)
    return attempts, position


def test_a_slow_write_that_loses_a_race_reserves_the_agreement_and_wins_the_next_attempt(
        registry):
    agreement_id = sign_labusel_pks(registry)
    with Rival(registry, agreement_id) as rival:
        attempts, _ = slow_write(registry, agreement_id)
        during = len(rival.enrolled)
        time.sleep(0.2)
    assert attempts == [1, 2]
    # The quick writer waited its turn, then went on, and never failed.
    assert not rival.errors
    assert len(rival.enrolled) > during
    agreement = registry.app.get_agreement(agreement_id)
    assert agreement.terms[0].enrolled == len(rival.enrolled) + 1


def test_a_big_batch_reserves_its_agreement_from_the_first_attempt(registry):
    agreement_id = sign_labusel_pks(registry, quota=5000)
    with Rival(registry, agreement_id) as rival:
        outcome = registry.app.enroll_workers(
            CTX, agreement_id, [enrollment_request(i, row=i) for i in range(1, 1501)])
    assert outcome.written and outcome.count("enrolled") == 1500
    assert not rival.errors
    agreement = registry.app.get_agreement(agreement_id)
    assert agreement.terms[0].enrolled == 1500 + len(rival.enrolled)


@pytest.fixture
def postgres_registry(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.setattr(reservations, "WAIT_SECONDS", 1)
    opened = Registry.open(Settings.from_env({"REGISTRY_DATABASE_URL": postgres_url}))
    yield opened
    opened.close()


@pytest.mark.postgres
def test_a_writer_waits_a_bounded_time_for_a_reserved_agreement_then_gets_concurrent_update(
        postgres_registry):
    # (On SQLite the reservation is the write lock: a writer waits for the one
    # attempt its holder is making, which only that attempt's length bounds.)
    registry = postgres_registry
    agreement_id = sign_labusel_pks(registry)
    other = RegistryApplication(registry.settings.database, create_tables=False)
    try:
        with registry.app.reservations.hold([agreement_id]):
            began = time.monotonic()
            with pytest.raises(ConcurrentUpdate, match="held the agreement"):
                other.enroll_worker(CTX, agreement_id, enrollment_request(1))
            assert 0.9 < time.monotonic() - began < 10
        # Released: the same write goes through.
        other.enroll_worker(CTX, agreement_id, enrollment_request(1))
    finally:
        other.close()
