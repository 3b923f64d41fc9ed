"""Tampering done directly in the database is always detected, on both engines."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from registry.audit import integrity
from tests.builders import CTX, sign_and_enroll_three
from tests.integration.tampering import sql


@pytest.fixture
def log(registry):
    """A small log: a signing and a batch of three workers (8 events)."""
    sign_and_enroll_three(registry)
    assert registry.app.head_position() == 8
    return registry


def state_of(registry, position: int) -> bytes:
    return bytes(sql(registry, "SELECT state FROM {events} WHERE {pos} = ?", (position,))[0][0])


def test_an_untouched_log_verifies_and_names_its_head(log):
    result = integrity.check(log.app, log.store)
    assert result.ok and result.checked == 8 and result.head_position == 8
    assert len(result.head_hash) == 64


def test_one_changed_byte_is_found_at_its_position(log):
    state = bytearray(state_of(log, 5))
    state[state.index(b"W")] = ord("X")
    sql(log, "UPDATE {events} SET state = ? WHERE {pos} = 5", (bytes(state),))
    result = integrity.check(log.app, log.store)
    assert not result.ok and result.first_bad_position == 5


def test_a_deleted_event_is_found(log):
    sql(log, "DELETE FROM {events} WHERE {pos} = 4")
    result = integrity.check(log.app, log.store)
    assert (result.ok, result.first_bad_position) == (False, 4)


def test_a_deleted_event_and_its_link_break_the_chain_at_the_next_one(log):
    sql(log, "DELETE FROM {events} WHERE {pos} = 4")
    sql(log, "DELETE FROM {chain} WHERE position = 4")
    result = integrity.check(log.app, log.store)
    assert (result.ok, result.first_bad_position) == (False, 5)


def test_two_swapped_events_are_found(log):
    third, fourth = state_of(log, 3), state_of(log, 4)
    sql(log, "UPDATE {events} SET state = ? WHERE {pos} = 3", (fourth,))
    sql(log, "UPDATE {events} SET state = ? WHERE {pos} = 4", (third,))
    result = integrity.check(log.app, log.store)
    assert (result.ok, result.first_bad_position) == (False, 3)


def test_an_inserted_event_is_found(log):
    rows = sql(log, "SELECT originator_id, originator_version, topic, state FROM {events} "
                    "WHERE {pos} = 8")
    stream, version, topic, state = rows[0]
    sql(log, "INSERT INTO {events} ({pos}, originator_id, originator_version, topic, state) "
             "VALUES (20, ?, ?, ?, ?)", (stream, version + 1, topic, state))
    result = integrity.check(log.app, log.store)
    assert (result.ok, result.first_bad_position) == (False, 20)


def test_a_truncated_newest_event_is_found_with_the_head_an_auditor_kept(log):
    kept = integrity.check(log.app, log.store)
    sql(log, "DELETE FROM {events} WHERE {pos} = 8")
    sql(log, "DELETE FROM {chain} WHERE position = 8")
    # Without the head the shorter log is consistent in itself...
    assert integrity.check(log.app, log.store).ok
    # ...with it, the removal shows.
    result = integrity.check(log.app, log.store, (kept.head_position, kept.head_hash))
    assert (result.ok, result.first_bad_position) == (False, 8)


def test_an_earlier_head_still_verifies_after_more_writes(log):
    kept = integrity.check(log.app, log.store)
    log.app.renew_agreement(CTX, UUID(_agreement_ids(log)[0]), ends_on=date(2023, 12, 31))
    result = integrity.check(log.app, log.store, (kept.head_position, kept.head_hash))
    assert result.ok and result.head_position > kept.head_position


def _agreement_ids(log):
    log.projections.catch_up()
    with log.store.transaction() as cur:
        return [r[0] for r in cur.execute("SELECT id FROM rm_agreements").fetchall()]


def test_a_changed_snapshot_is_found_although_it_is_outside_the_chain(log):
    # Amend often enough for the agreement to be snapshotted at version 200.
    agreement = UUID(_agreement_ids(log)[0])
    for n in range(200):
        log.app.amend_agreement(CTX, agreement, effective_on=date(2022, 11, 1),
                                reason=f"revisi {n}", title=f"Judul {n}")
    snapshots = log.app.snapshots.recorder.events_table_name
    assert integrity.check(log.app, log.store).ok
    # Raise the quota inside the stored snapshot only.
    with log.store.transaction(write=True) as cur:
        state = bytes(cur.execute(f"SELECT state FROM {snapshots}").fetchone()[0])
        cur.execute(f"UPDATE {snapshots} SET state = ?",
                    (state.replace(b'"quota":2000', b'"quota":99999'),))
    result = integrity.check(log.app, log.store)
    assert not result.ok
    assert "snapshot" in result.problem and "version 200" in result.problem
