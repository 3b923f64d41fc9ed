"""Reads from a PostgreSQL streaming replica see the client's own writes, and keep
working while the replica lags or is down (projections/replica.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from registry.config import Settings
from tests.builders import enrollment_body, labusel_pks, nik
from tests.callers import assert_problem
from tests.replicas import Replica, streaming_replica

pytestmark = pytest.mark.postgres
REGISTRY = str(Path(sys.executable).with_name("registry"))


@pytest.fixture(scope="module")
def replica() -> Iterator[Replica]:
    yield from streaming_replica()


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def settings(database_url: str, replica: Replica) -> Settings:
    schema = parse_qs(urlsplit(database_url).query)["schema"][0]
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_READ_DATABASE_URL": replica.url(schema)})


@pytest.fixture
def agreement(admin: Any, registry: Any, replica: Replica) -> str:
    created = admin.post("/api/v1/agreements", labusel_pks())
    assert created.status_code == 201, created.get_json()
    replica.wait_for_schema(registry.settings.database.schema)
    return str(created.get_json()["id"])


def coverage(admin: Any, i: int, **headers: str) -> Any:
    return admin.get(f"/api/v1/workers/{nik(i)}/coverage?on=2022-11-15", headers=headers)


def agreement_doc(admin: Any, agreement: str, **headers: str) -> Any:
    return admin.get(f"/api/v1/agreements/{agreement}?on=2022-11-15", headers=headers)


def test_a_read_naming_its_writes_position_sees_the_write_while_the_replica_lags(
        admin: Any, agreement: str, replica: Replica) -> None:
    replica.sql("SELECT pg_wal_replay_pause()")
    try:
        written = admin.post(f"/api/v1/agreements/{agreement}/enrollments", enrollment_body(1))
        assert written.status_code == 201, written.get_json()
        position = str(written.get_json()["position"])

        stale = coverage(admin, 1)
        assert stale.headers["X-Read-From"] == "replica"
        assert int(stale.headers["X-Replica-Lag"]) > 0
        assert stale.get_json()["covered"] is False

        # The replica cannot reach the write: after waiting, the primary answers.
        mine = coverage(admin, 1, **{"X-Min-Position": position})
        assert mine.headers["X-Read-From"] == "primary"
        assert mine.get_json()["covered"] is True
        # The same for the agreement itself, read from the replica's log as an aggregate.
        assert agreement_doc(admin, agreement).headers["X-Read-From"] == "replica"
        assert agreement_doc(admin, agreement).get_json()["enrolled"] == 0
        fresh = agreement_doc(admin, agreement, **{"X-Min-Position": position})
        assert (fresh.headers["X-Read-From"], fresh.get_json()["enrolled"]) == ("primary", 1)
    finally:
        replica.sql("SELECT pg_wal_replay_resume()")

    again = agreement_doc(admin, agreement, **{"X-Min-Position": position})
    assert (again.headers["X-Read-From"], again.get_json()["enrolled"]) == ("replica", 1)
    caught_up = coverage(admin, 1, **{"X-Min-Position": position})
    assert caught_up.headers["X-Read-From"] == "replica"
    assert caught_up.get_json()["covered"] is True
    assert coverage(admin, 1).headers["X-Replica-Lag"] == "0"
    assert admin.get("/health").get_json()["replica"] == {"lag": 0}
    metrics = admin.get("/metrics").get_data(as_text=True)
    assert "registry_replica_up 1.0" in metrics and "registry_replica_lag_events 0.0" in metrics


def test_reads_keep_working_from_the_primary_while_the_replica_is_stopped(
        admin: Any, agreement: str, replica: Replica) -> None:
    replica.stop()
    try:
        written = admin.post(f"/api/v1/agreements/{agreement}/enrollments", enrollment_body(2))
        assert written.status_code == 201, written.get_json()
        for headers in ({}, {"X-Min-Position": str(written.get_json()["position"])}):
            answer = coverage(admin, 2, **headers)
            assert answer.status_code == 200, answer.get_json()
            assert answer.headers["X-Read-From"] == "primary"
            assert answer.get_json()["covered"] is True
        assert admin.get(f"/api/v1/agreements/{agreement}/enrollments").status_code == 200
        assert agreement_doc(admin, agreement).headers["X-Read-From"] == "primary"
        assert admin.get("/health").get_json()["replica"] == {"lag": None}
        assert "registry_replica_up 0.0" in admin.get("/metrics").get_data(as_text=True)
    finally:
        replica.start()


def test_a_min_position_that_is_not_a_position_is_refused(admin: Any, agreement: str) -> None:
    assert_problem(coverage(admin, 1, **{"X-Min-Position": "-1"}), 400, "malformed_request")


def test_a_copy_made_with_pg_basebackup_verifies_against_the_head_kept_before(
        admin: Any, agreement: str, replica: Replica, registry: Any, database_url: str) -> None:
    """The restore check of docs/operations.md: the head an auditor kept, checked on a
    copy of the database by `registry verify --expect-head`, with no write to the copy."""
    written = admin.post(f"/api/v1/agreements/{agreement}/enrollments", enrollment_body(3))
    assert written.status_code == 201, written.get_json()
    before = subprocess.run([REGISTRY, "verify"], capture_output=True, text=True, env={
        **os.environ, "REGISTRY_DATABASE_URL": database_url})
    assert before.returncode == 0, before.stderr
    head = before.stdout.split("head ")[1].split()[0]
    schema = registry.settings.database.schema
    replica.wait_for_position(schema, int(head.split(":")[0]))
    on_copy = subprocess.run(
        [REGISTRY, "verify", "--expect-head", head], capture_output=True, text=True,
        env={**os.environ, "REGISTRY_DATABASE_URL": replica.url(schema),
             "REGISTRY_TABLES_READY": "1"})
    assert on_copy.returncode == 0, on_copy.stderr
    assert f"head {head}" in on_copy.stdout
