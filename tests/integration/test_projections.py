"""How read models are kept: one pass over the log feeds them all, in batches.

Row for row, a read model must not depend on how it was built: event by
event as requests come, by a catch-up from nothing, or by a rebuild, with
any batch size, on both engines.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from api.app import bind, create_app
from projections import rebuild as rebuilding
from projections import runner as running
from projections.agreements import AgreementsProjection
from projections.coverage import CoverageProjection
from projections.history import HistoryProjection
from projections.jobs import RebuildFailed, shares
from projections.ledger import LedgerProjection
from projections.rebuild import Rebuild
from projections.runner import ProjectionRunner, all_projections
from registry.bootstrap import Registry
from registry.entrypoints.rebuild_share import shared_by
from tests.builders import write_every_kind_of_event
from tests.callers import Caller
from tests.integration.reads import rows


def emptied(registry: Registry) -> None:
    """Every read model dropped and created again, empty and at position 0."""
    with registry.store.transaction(write=True) as cur:
        for projection in registry.projections.projections:
            for table in projection.table_names:
                cur.execute(f"DROP TABLE {table}")
        cur.execute("DELETE FROM projection_positions")
    registry.projections.create_tables()


def built_from_nothing(registry: Registry) -> None:
    emptied(registry)
    registry.projections.catch_up()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches that end everywhere: mid-save, between an enrollment and its change."""
    monkeypatch.setattr(running, "BATCH", 7)
    monkeypatch.setattr(rebuilding, "BATCH", 7)


def test_as_requests_came_by_a_rebuild_or_from_nothing_the_rows_are_the_same(
        registry, admin):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    as_they_came = rows(registry)
    assert sum(map(len, as_they_came.values())) > 200
    assert Rebuild(registry.projections).run()
    assert rows(registry) == as_they_came
    built_from_nothing(registry)
    assert rows(registry) == as_they_came


def test_small_batches_give_the_same_rows(registry, admin, small_batches):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    as_they_came = rows(registry)
    assert Rebuild(registry.projections).run()
    assert rows(registry) == as_they_came
    built_from_nothing(registry)
    assert rows(registry) == as_they_came


def test_read_models_at_different_positions_read_each_event_once(
        registry, admin, small_batches, monkeypatch):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    expected = rows(registry)
    built_from_nothing_until = registry.app.head_position()
    # History at a third of the log, the other two at two thirds (a partial rebuild
    # or a read model added later leaves them so).
    emptied(registry)
    third = built_from_nothing_until // 3
    ProjectionRunner(registry.app, registry.store,
                     [HistoryProjection(), LedgerProjection()]).catch_up(third)
    ProjectionRunner(registry.app, registry.store,
                     [AgreementsProjection(), CoverageProjection()]).catch_up(2 * third)
    decoded = []
    decode = registry.projections.reader.event

    def counting(position: int, *row: Any) -> Any:
        decoded.append(position)
        return decode(position, *row)

    monkeypatch.setattr(registry.projections.reader, "event", counting)
    registry.projections.catch_up()
    assert sorted(decoded) == list(range(third + 1, built_from_nothing_until + 1))
    assert registry.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0,
                                          "ledger": 0}
    assert rows(registry) == expected


def test_concurrent_catch_ups_never_apply_an_event_twice(registry, admin, settings,
                                                        small_batches):
    write_every_kind_of_event(admin)
    expected_head = registry.app.head_position()
    # Two more processes' worth of runners (their own connections) and this one,
    # all catching up at once from the same positions.
    others = [Registry.open(settings, create_tables=False) for _ in range(2)]
    errors: list[BaseException] = []
    gate = threading.Barrier(3)

    def catch_up(runner: ProjectionRunner) -> None:
        try:
            gate.wait()
            runner.catch_up()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=catch_up, args=(r.projections,))
               for r in (registry, *others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in others:
        other.close()
    assert errors == []
    assert registry.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0,
                                          "ledger": 0}
    after = rows(registry)
    assert len(after["rm_history"]) == expected_head
    assert Rebuild(registry.projections).run()
    assert rows(registry) == after


def test_a_rebuilt_read_model_keeps_its_keys(registry, admin):
    write_every_kind_of_event(admin)
    assert Rebuild(registry.projections).run()
    with (pytest.raises(Exception, match="(?i)unique|duplicate"),  # noqa: PT011 - engines differ
          registry.store.transaction(write=True) as cur):
        cur.execute("INSERT INTO rm_history_streams (stream_id, kind) "
                    "SELECT stream_id, kind FROM rm_history_streams LIMIT 1")
    # And the next rebuild replaces it again (its indexes' names are free).
    assert Rebuild(registry.projections).run()


@pytest.fixture
def shared_however_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild in several processes, though the log is too short to be worth it."""
    monkeypatch.setattr(rebuilding, "SHARED_FROM", 0)


def test_a_rebuild_shared_by_two_processes_gives_the_same_rows(registry, admin,
                                                               shared_however_short):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    as_they_came = rows(registry)
    assert Rebuild(registry.projections).run(share=shared_by(2))
    assert rows(registry) == as_they_came
    assert registry.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0,
                                          "ledger": 0}


def test_the_processes_of_a_shared_rebuild_open_the_store_with_its_own_key_files(
        settings, tmp_path, built_app, shared_however_short):
    """Key files away from their default places (as `registry bench` and a copy keep
    theirs): the other process is told where they are, or it could not open the store."""
    keys = tmp_path / "keys-elsewhere"
    keys.mkdir()
    elsewhere = dataclasses.replace(settings, signing_key_file=str(keys / "signing.key"),
                                    master_key_file=str(keys / "master.key"))
    registry = Registry.open(elsewhere)
    try:
        if built_app:
            bind(built_app[0], registry)
        else:
            built_app.append(create_app(registry=registry))
        admin = Caller(built_app[0].test_client(), registry.tokens.create("admin", "admin", []))
        write_every_kind_of_event(admin)
        registry.projections.catch_up()
        as_they_came = rows(registry)
        assert Rebuild(registry.projections).run(share=shared_by(2, elsewhere))
        assert rows(registry) == as_they_came
    finally:
        registry.close()


class Unknown(AgreementsProjection):
    """A read model only this process knows: another process asked to build it fails."""

    name = "unknown"
    rebuild_cost = 0.05
    table_names = ("rm_unknown",)
    tables = ("CREATE TABLE IF NOT EXISTS rm_unknown (id TEXT PRIMARY KEY)",)

    def apply(self, batch: Any, cur: Any) -> None:
        pass


def test_a_process_of_a_shared_rebuild_that_fails_says_why_and_the_rebuild_resumes(
        registry, admin, shared_however_short):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    as_they_came = rows(registry)
    runner = ProjectionRunner(registry.app, registry.store, [*all_projections(), Unknown()])
    runner.create_tables()
    assert shares(runner.projections, 2)[1] == ["history", "ledger", "unknown"]
    with pytest.raises(RebuildFailed,
                       match="rebuilding history, ledger, unknown failed: .*unknown"):
        Rebuild(runner).run(share=shared_by(2))
    # The live read models were never touched; run again, it resumes and switches.
    assert rows(registry) == as_they_came
    assert Rebuild(registry.projections).run()
    assert rows(registry) == as_they_came


def test_shares_of_a_rebuild_cost_about_the_same():
    projections = all_projections()
    assert shares(projections, 2) == [["coverage", "agreements"], ["history", "ledger"]]
    assert shares(projections, 1) == [["coverage", "history", "agreements", "ledger"]]
    assert sorted(map(len, shares(projections, 8))) == [1, 1, 1, 1]
