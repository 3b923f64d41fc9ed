"""`integrity.check` reads the log in one pass and still reports as the plain reading does."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from registry.audit import integrity
from registry.store.chain import verify
from tests.builders import CTX, sign_and_enroll_three
from tests.integration.tampering import sql


@pytest.fixture
def log(registry):
    """A signing, a batch of three workers and three amendments; the agreement's id."""
    agreement = sign_and_enroll_three(registry)
    for n in range(3):
        registry.app.amend_agreement(CTX, agreement.id, effective_on=date(2022, 11, 1),
                                     reason=f"revisi {n}", title=f"Judul {n}")
    return registry, agreement.id


def plain(registry, expect_head=None):
    return verify(integrity.stored_events(registry.app), integrity.stored_links(registry.store),
                  expect_head)


def test_an_intact_log_gives_what_the_plain_reading_gives(log, monkeypatch):
    registry, _ = log
    expected = plain(registry)
    head = (expected.head_position, expected.head_hash)
    expected_with_head = plain(registry, head)
    with monkeypatch.context() as m:  # an intact log needs only the one pass
        m.setattr(integrity, "verify", lambda *_: pytest.fail("read twice"))
        result = integrity.check(registry.app, registry.store)
        assert result.ok and result == expected
        assert integrity.check(registry.app, registry.store, head) == expected_with_head
    earlier = (3, plain(registry).head_hash)  # not the hash at 3
    assert integrity.check(registry.app, registry.store, earlier) == plain(registry, earlier)


def test_a_changed_stored_digest_is_found(log):
    registry, _ = log
    sql(registry, "UPDATE {chain} SET digest = UPPER(digest) WHERE position = 3")
    result = integrity.check(registry.app, registry.store)
    assert (result.ok, result.first_bad_position) == (False, 3)
    assert "digest" in result.problem


def test_a_link_past_the_newest_event_is_found(log):
    registry, _ = log
    sql(registry, "INSERT INTO {chain} (position, digest, hash) VALUES (100, 'x', 'y')")
    result = integrity.check(registry.app, registry.store)
    assert (result.ok, result.first_bad_position) == (False, 100)
    assert "past the newest event" in result.problem


def _snapshot_every_version(registry, agreement_id) -> int:
    newest = registry.app.repository.get(agreement_id).version
    for version in range(1, newest + 1):
        registry.app.take_snapshot(agreement_id, version)
    return newest


def test_every_snapshot_of_a_stream_is_checked(log):
    registry, agreement_id = log
    newest = _snapshot_every_version(registry, agreement_id)
    assert newest >= 4
    assert integrity.check(registry.app, registry.store).ok
    state = bytes(sql(registry, "SELECT state FROM {snapshots} WHERE originator_version = 3")
                  [0][0])
    changed = state.replace(b'"quota":2000', b'"quota":99999')
    assert changed != state
    sql(registry, "UPDATE {snapshots} SET state = ? WHERE originator_version IN (3, 4)",
        (changed,))
    result = integrity.check(registry.app, registry.store)
    assert not result.ok and result.first_bad_position is None
    assert f"stream {agreement_id} at version 3 does not match" in result.problem
    # Snapshots are caches: without the changed ones the log is intact again.
    sql(registry, "DELETE FROM {snapshots} WHERE originator_version IN (3, 4)")
    assert integrity.check(registry.app, registry.store).ok


def test_a_snapshot_that_no_longer_decodes_is_reported(log):
    registry, agreement_id = log
    _snapshot_every_version(registry, agreement_id)
    sql(registry, "UPDATE {snapshots} SET state = ? WHERE originator_version = 2",
        (b"\x00\xff",))
    result = integrity.check(registry.app, registry.store)
    assert not result.ok and "version 2 does not match" in result.problem


def test_a_snapshot_past_its_streams_events_is_reported(log):
    registry, agreement_id = log
    newest = _snapshot_every_version(registry, agreement_id)
    # A forged snapshot the application would load in place of the events.
    sql(registry, "INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
                  "SELECT originator_id, 999, topic, state FROM {snapshots} "
                  "WHERE originator_version = ?", (newest,))
    result = integrity.check(registry.app, registry.store)
    assert not result.ok
    assert f"stream {agreement_id} at version 999" in result.problem


def test_the_fetching_thread_ends_when_the_check_stops_early(log, monkeypatch):
    registry, _ = log
    monkeypatch.setattr(integrity, "SCAN_PAGE", 1)
    monkeypatch.setattr(integrity, "PREFETCH", 1)
    assert integrity.check(registry.app, registry.store).ok
    sql(registry, "UPDATE {chain} SET hash = UPPER(hash) WHERE position = 2")
    result = integrity.check(registry.app, registry.store)
    assert (result.ok, result.first_bad_position) == (False, 2)
    assert not [t for t in threading.enumerate() if t.name == "registry-verify-fetch"]
