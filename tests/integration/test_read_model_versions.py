"""A read model kept in another shape by an earlier version is built again when the
registry opens: an upgrade never serves from tables the code no longer understands."""

from __future__ import annotations

from typing import Any

import pytest

from projections import rebuild as rebuilding
from projections.rebuild import Rebuild
from registry import bootstrap
from registry.bootstrap import Registry
from tests.builders import write_every_kind_of_event
from tests.integration.reads import rows

# The history table as version 1 kept it: every event's body copied into `data`.
VERSION_1_HISTORY = """CREATE TABLE rm_history (
    position BIGINT PRIMARY KEY, stream_id TEXT NOT NULL, stream_kind TEXT NOT NULL,
    version INTEGER NOT NULL, type TEXT NOT NULL, recorded_at TEXT NOT NULL,
    actor TEXT NOT NULL, request_id TEXT NOT NULL, reason TEXT, reason_code TEXT, nik TEXT,
    region_code TEXT, effective_on TEXT, backdated_days INTEGER, data TEXT NOT NULL)"""


@pytest.fixture
def expected(registry: Registry, admin: Any) -> dict[str, list[str]]:
    """Every kind of event written and the read models current: their rows."""
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    return rows(registry)


def as_version_1_left_it(registry: Registry) -> None:
    """The history read model as the previous version of the registry left it: its
    own table shape, a position at the head, and no record of its version."""
    with registry.store.transaction(write=True) as cur:
        cur.execute("DROP TABLE rm_history")
        cur.execute(VERSION_1_HISTORY)
        cur.execute("DROP TABLE projection_versions")


def test_a_read_model_built_by_an_earlier_version_is_built_again_when_the_registry_opens(
        registry, admin, settings, expected):
    answer = admin.get("/api/v1/events?limit=500").json
    as_version_1_left_it(registry)

    reopened = Registry.open(settings)
    try:
        assert rows(reopened) == expected
        assert reopened.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0,
                                              "ledger": 0}
        with reopened.store.transaction() as cur:
            assert dict(cur.execute("SELECT name, version FROM projection_versions")
                        .fetchall()) == {"agreements": 1, "coverage": 2, "history": 4, "ledger": 1}
    finally:
        reopened.close()
    assert admin.get("/api/v1/events?limit=500").json == answer


def test_a_read_model_whose_tables_another_version_built_again_is_built_again(
        registry, settings, expected):
    # Say an operator went back to the previous version for a while, whose
    # `registry replay` built history in its own shape and recorded no version.
    with registry.store.transaction(write=True) as cur:
        cur.execute("DROP TABLE rm_history")
        cur.execute(VERSION_1_HISTORY)
    reopened = Registry.open(settings)
    try:
        assert rows(reopened) == expected
    finally:
        reopened.close()


def test_a_rebuild_on_opening_that_was_interrupted_is_resumed_by_the_next_open(
        registry, settings, monkeypatch, expected):
    as_version_1_left_it(registry)
    monkeypatch.setattr(rebuilding, "BATCH", 7)

    def stopped_after_a_batch(runner: Any, names: list[str]) -> None:
        assert not Rebuild(runner, names).run(max_batches=1)
        raise KeyboardInterrupt  # the operator gave up waiting

    with monkeypatch.context() as patched:
        patched.setattr(bootstrap, "rebuild_outdated", stopped_after_a_batch)
        with pytest.raises(KeyboardInterrupt):
            Registry.open(settings)
    reopened = Registry.open(settings)
    try:
        assert rows(reopened) == expected
        with reopened.store.transaction() as cur:
            assert cur.execute("SELECT version FROM projection_versions "
                               "WHERE name = 'history'").fetchone() == (4,)
    finally:
        reopened.close()


def test_a_rebuild_left_half_done_by_another_version_is_thrown_away(
        registry, settings, expected):
    with registry.store.transaction(write=True) as cur:
        cur.execute(VERSION_1_HISTORY.replace("rm_history", "rmnext_history"))
        cur.execute("INSERT INTO projection_positions (name, position) "
                    "VALUES ('history#rebuild', 3)")
    reopened = Registry.open(settings)
    try:
        assert Rebuild(reopened.projections).run()
        assert rows(reopened) == expected
    finally:
        reopened.close()


def test_read_models_in_the_current_shape_are_left_as_they_are(registry, admin, settings):
    write_every_kind_of_event(admin)
    registry.projections.catch_up()
    with registry.store.transaction(write=True) as cur:
        # A row no rebuild would make: still there after opening means not rebuilt.
        cur.execute("INSERT INTO rm_history_streams (stream_id, kind) VALUES ('marker', 'x')")
    reopened = Registry.open(settings)
    try:
        with reopened.store.transaction() as cur:
            assert cur.execute("SELECT kind FROM rm_history_streams "
                               "WHERE stream_id = 'marker'").fetchone() == ("x",)
    finally:
        reopened.close()
