"""Time travel: a copy built as of a position answers every read as the registry did there,
on both engines; the source is never written; the copy never takes an event."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from api.app import bind
from projections.rebuild import Rebuild
from registry.audit import integrity
from registry.audit import timetravel as travel
from registry.domain import nik as niks
from registry.domain.dates import utc_iso
from registry.entrypoints.serve import refuse_unfinished_copy
from registry.service.readonly import ReadOnly
from registry.store import copies
from tests.builders import CTX, enrollment_request, labusel_pks_fields
from tests.callers import Caller
from tests.integration.test_replay import every_answer, scenario  # noqa: F401 - a fixture
from tests.time_travel import copy_url, everything, exists, open_copy, read_model_rows, replay

__all__ = ["copy_url", "scenario"]  # fixtures


def more_writes(admin: Any, s: dict[str, Any]) -> None:
    """What the registry goes on to record after the position copied."""
    assert admin.post(f"/api/v1/agreements/{s['pks']}/enrollments", json={
        "nik": niks.make("12.22", 9, date(1990, 1, 1), "M", 77), "name": "Baru",
        "occupation": "nelayan", "starts_on": "2023-05-01"}).status_code == 201
    assert admin.post(f"/api/v1/agreements/{s['pks']}/enrollments/{s['niks'][3]}/disenrollment",
                      json={"ends_on": "2023-03-01", "reason_code": "DECEASED"}
                      ).status_code == 200
    assert admin.post(f"/api/v1/workers/{s['niks'][4]}/corrections",
                      json={"reason": "KTP", "name": "Nama Lain"}).status_code == 201


def test_a_copy_until_a_position_answers_every_read_as_the_registry_did_there(
        registry, admin, scenario, app, database_url, copy_url):
    position = registry.app.head_position()
    then = every_answer(admin, scenario)
    rows_then = read_model_rows(registry)
    more_writes(admin, scenario)
    assert every_answer(admin, scenario) != then
    source_before = everything(registry)

    built = replay(database_url, "--until", str(position), "--into", copy_url)

    assert built.exit_code == 0, built.output
    assert f"up to position {position}" in built.output
    assert everything(registry) == source_before  # the source was only read
    copy = open_copy(copy_url)
    try:
        assert copy.read_only
        # In the registry's own tables (the library would name them after a subclass).
        assert copy.app.recorder.events_table_name == registry.app.recorder.events_table_name
        assert copy.app.head_position() == position
        assert read_model_rows(copy) == rows_then
        bind(app, copy)
        investigator = Caller(app.test_client(), copy.tokens.create("investigator", "admin", []))
        assert every_answer(investigator, scenario) == then
        # The same log, position for position: the chain's head and the tree's root.
        found = integrity.check(copy.app, copy.store)
        assert found.ok and found.head_position == position
        with registry.store.transaction() as cur, copy.store.transaction() as other:
            size = copy.log.reader(other).size
            assert copy.log.reader(other).root(size) == registry.log.reader(cur).root(size)
        assert investigator.get("/health").json["copy"]["position"] == position
    finally:
        copy.close()


def test_known_at_copies_the_log_as_it_was_recorded_by_then(
        registry, admin, scenario, database_url, copy_url):
    position = registry.app.head_position()
    time.sleep(0.01)
    known_at = datetime.now(UTC)
    time.sleep(0.01)
    more_writes(admin, scenario)
    rows = read_model_rows(registry)

    assert travel.moment(registry.app, registry.store, None, known_at).position == position
    built = replay(database_url, "--known-at", known_at.isoformat(), "--into", copy_url)

    assert built.exit_code == 0, built.output
    copy = open_copy(copy_url)
    try:
        assert copy.app.head_position() == position
        assert copy.copy is not None and copy.copy.known_at == utc_iso(known_at)
        assert read_model_rows(copy) != rows  # not the registry as it is now
    finally:
        copy.close()


def test_an_interrupted_copy_cannot_be_served_and_the_same_command_resumes_it(
        registry, admin, scenario, database_url, copy_url, monkeypatch):
    position = registry.app.head_position()
    rows = read_model_rows(registry)
    more_writes(admin, scenario)
    monkeypatch.setattr(travel, "BATCH", 7)
    inserted = travel._insert
    calls = []

    def stops_at_the_third_batch(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        inserted(*args)

    monkeypatch.setattr(travel, "_insert", stops_at_the_third_batch)
    assert replay(database_url, "--until", str(position), "--into", copy_url).exit_code != 0
    monkeypatch.setattr(travel, "_insert", inserted)
    half = open_copy(copy_url)
    try:
        assert half.app.head_position() == 14 and half.read_only
        with pytest.raises(Exception, match="not yet built"):
            refuse_unfinished_copy(half)
    finally:
        half.close()
    # Then the read models' rebuild is interrupted too.
    build = Rebuild.build
    monkeypatch.setattr(Rebuild, "build", lambda self, progress, max_batches=None: (
        build(self, progress, 1), (_ for _ in ()).throw(KeyboardInterrupt))[0])
    monkeypatch.setattr("projections.rebuild.BATCH", 5)
    assert replay(database_url, "--until", str(position), "--into", copy_url).exit_code != 0
    monkeypatch.setattr(Rebuild, "build", build)

    resumed = replay(database_url, "--until", str(position), "--into", copy_url)

    assert resumed.exit_code == 0, resumed.output
    assert "resuming" in resumed.output
    copy = open_copy(copy_url)
    try:
        assert read_model_rows(copy) == rows
        assert integrity.check(copy.app, copy.store).ok
        refuse_unfinished_copy(copy)  # finished: it may be served
    finally:
        copy.close()


def test_a_copy_writes_nothing_to_its_log_and_keeps_its_tokens_to_itself(
        registry, admin, scenario, database_url, copy_url):
    position = registry.app.head_position()
    assert replay(database_url, "--until", str(position), "--into", copy_url).exit_code == 0
    copy = open_copy(copy_url)
    try:
        token = copy.tokens.create("investigator", "auditor", ["12.22"], ctx=CTX)
        assert copy.tokens.authenticate(token).name == "investigator"
        assert copy.app.head_position() == position  # no TokenIssued
        assert [t["name"] for t in copy.tokens.list()] == ["investigator"]
        assert not copy.tokens.problems()
        assert "investigator" not in [t["name"] for t in registry.tokens.list()]
        assert registry.tokens.authenticate(token) is None
        # Tokens of the source are not carried over.
        assert copy.tokens.authenticate(admin.headers["Authorization"][7:]) is None
        with pytest.raises(ReadOnly, match="a copy of .* up to position"):
            copy.app.sign_agreement(CTX, **labusel_pks_fields(agreement_number="PKS-X"))
        with pytest.raises(ReadOnly):  # what `registry enroll` does
            copy.app.enroll_workers(CTX, UUID(scenario["pks"]), [enrollment_request(99)],
                                    atomic=False)
        assert copy.tokens.revoke("investigator", CTX)
        assert copy.tokens.authenticate(token) is None
        assert copy.app.head_position() == position
    finally:
        copy.close()


def test_a_copy_is_never_written_over_nor_made_in_the_source_or_a_registry(
        registry, admin, scenario, database_url, copy_url):
    position = registry.app.head_position()
    itself = replay(database_url, "--until", "2", "--into", database_url)
    assert itself.exit_code == 2 and "names the source database itself" in itself.output
    assert replay(database_url, "--until", str(position), "--into", copy_url).exit_code == 0
    copy = open_copy(copy_url)
    before = everything(copy)
    copy.close()

    other = replay(database_url, "--until", "2", "--into", copy_url)
    again = replay(database_url, "--until", str(position), "--into", copy_url)

    assert other.exit_code == 1 and "never written over" in other.output
    assert again.exit_code == 0 and "already holds this copy" in again.output
    copy = open_copy(copy_url)
    assert everything(copy) == before
    copy.close()
    # A registry of its own is not a place for a copy: the source into the copy's place.
    refused = replay(copy_url, "--until", "2", "--into", database_url)
    assert refused.exit_code == 1 and "registry of its own" in refused.output


@pytest.mark.parametrize(("args", "says"), [
    (["--until", "999999"], "beyond the head of the log"),
    (["--until", "-3"], "not in the range"),
    (["--until", "0"], "not in the range"),
    (["--until", "2", "--known-at", "2022-01-01"], "not both"),
    (["--known-at", "yesterday"], "neither a date"),
    (["--known-at", "2022-10-01T09:00:00"], "has no zone"),
    (["--known-at", "2001-01-01"], "nothing was recorded at or before"),
    (["--known-at", "2999-01-01T00:00:00Z"], "in the future"),
    (["--projection", "history", "--until", "2"], "a copy holds every read model"),
    ([], "needs the moment"),
])
def test_bad_moments_are_refused_before_anything_is_written(
        registry, admin, scenario, database_url, copy_url, args, says):
    source_before = everything(registry)

    refused = replay(database_url, *args, "--into", copy_url)

    assert refused.exit_code == 2, refused.output
    assert says in refused.output
    assert "Traceback" not in refused.output
    assert not exists(copy_url)
    assert everything(registry) == source_before


def test_until_or_known_at_without_into_is_refused(registry, database_url):
    refused = replay(database_url, "--until", "1")
    assert refused.exit_code == 2 and "--into" in refused.output


def test_a_bad_target_url_is_refused(registry, database_url):
    refused = replay(database_url, "--until", "1", "--into", "mysql://elsewhere")
    assert refused.exit_code == 2 and "unsupported database URL" in refused.output


def test_the_mark_says_what_the_copy_holds(registry, admin, scenario, database_url, copy_url):
    position = registry.app.head_position()
    assert replay(database_url, "--until", str(position), "--into", copy_url).exit_code == 0
    copy = open_copy(copy_url)
    try:
        mark = copies.mark_of(copy.store)
        assert mark is not None and mark.finished and mark.position == position
        assert mark.events == position and mark.known_at is None
        assert "@" not in mark.source or "postgres@" in mark.source  # never a password
        assert mark.head_hash == integrity.check(copy.app, copy.store).head_hash
    finally:
        copy.close()
