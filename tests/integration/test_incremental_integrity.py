"""`GET /audit/integrity` checks on from the last check that found the log intact."""

from __future__ import annotations

from datetime import date

import pytest

from registry.audit import treecheck
from registry.audit.incremental import audit_since_verified
from registry.domain import nik as niks
from registry.domain.enrollment import Details
from registry.service.enrollments import EnrollmentRequest
from registry.store import tiles
from registry.store.verified import VerifiedStore
from tests.builders import CTX, OCT1, sign_and_enroll_three
from tests.integration.tampering import sql


@pytest.fixture
def log(registry):
    """A signing and three enrollments (8 events), checked once in full."""
    agreement = sign_and_enroll_three(registry)
    first = audit_since_verified(registry)
    assert first["ok"] and (first["from_position"], first["checked"]) == (0, 8)
    return registry, agreement.id


def amend(registry, agreement_id, times: int) -> None:
    for n in range(times):
        registry.app.amend_agreement(CTX, agreement_id, effective_on=date(2022, 11, 1),
                                     reason=f"revisi {n}", title=f"Judul {n}")


def test_a_second_check_reads_only_the_new_events_and_full_reads_all(log):
    registry, agreement_id = log
    amend(registry, agreement_id, 2)
    second = audit_since_verified(registry)
    assert second["ok"] and (second["from_position"], second["checked"]) == (8, 2)
    assert second["head"]["position"] == 10 and second["tree"]["leaves"] == 10
    nothing_new = audit_since_verified(registry)
    assert nothing_new["ok"] and (nothing_new["from_position"], nothing_new["checked"]) == (10, 0)
    assert nothing_new["head"] == second["head"]
    full = audit_since_verified(registry, full=True)
    assert full["ok"] and (full["from_position"], full["checked"]) == (0, 10)
    assert full["head"] == second["head"]


def test_a_change_after_the_verified_position_is_found_and_the_position_forgotten(log):
    registry, agreement_id = log
    amend(registry, agreement_id, 2)
    sql(registry, "UPDATE {events} SET state = ? WHERE {pos} = 9", (b"{}",))
    found = audit_since_verified(registry)
    assert not found["ok"] and found["first_bad_position"] == 9
    assert found["from_position"] == 0  # read in full to name where
    assert VerifiedStore(registry.store).get() is None


def test_a_change_before_the_verified_position_is_seen_by_a_full_check(log):
    """The limit of a check from a verified position (docs/operations.md)."""
    registry, _ = log
    state = bytes(sql(registry, "SELECT state FROM {events} WHERE {pos} = 5")[0][0])
    sql(registry, "UPDATE {events} SET state = ? WHERE {pos} = 5",
        (state.replace(b'"actor":"', b'"actor":"X'),))
    assert audit_since_verified(registry)["ok"]
    full = audit_since_verified(registry, full=True)
    assert not full["ok"] and full["first_bad_position"] == 5


def test_a_chain_rewritten_from_an_earlier_position_is_found(log):
    """Rewriting the chain to hide an edit changes the link at the verified position."""
    registry, agreement_id = log
    sql(registry, "UPDATE {chain} SET hash = ? WHERE position = 8", ("0" * 64,))
    amend(registry, agreement_id, 1)
    found = audit_since_verified(registry)
    assert not found["ok"] and found["first_bad_position"] == 8


def test_a_changed_leaf_tile_is_found(log):
    registry, agreement_id = log
    amend(registry, agreement_id, 1)
    [(hashes,)] = sql(registry, f"SELECT hashes FROM {tiles.TABLE} WHERE level = 0 AND idx = 0")
    sql(registry, f"UPDATE {tiles.TABLE} SET hashes = ? WHERE level = 0 AND idx = 0",
        (bytes(hashes)[:-32] + bytes(32),))
    found = audit_since_verified(registry)
    assert not found["ok"] and found["chain_ok"]
    assert "leaf 8 " in found["tree"]["problem"]


def test_past_a_full_leaf_tile_only_the_newest_tiles_are_read(registry, monkeypatch):
    agreement = sign_and_enroll_three(registry)
    many = 150  # two events each: past the first leaf tile
    registry.app.enroll_workers(CTX, agreement.id, [
        EnrollmentRequest(nik=niks.make("12.22", 2, date(1971, 1, 1), "F", i),
                          details=Details(name=f"V{i}", occupation="petani"),
                          starts_on=OCT1, row=i) for i in range(many)])
    first = audit_since_verified(registry)
    assert first["ok"] and first["tree"]["leaves"] > tiles.WIDTH
    amend(registry, agreement.id, 2)
    read = []
    every_leaf = treecheck._leaves  # noqa: SLF001

    def counted(tree, after=0):
        for leaf in every_leaf(tree, after):
            read.append(leaf)
            yield leaf

    monkeypatch.setattr(treecheck, "_leaves", counted)
    second = audit_since_verified(registry)
    assert second["ok"] and second["checked"] == 2
    assert second["tree"]["leaves"] == first["tree"]["leaves"] + 2
    assert len(read) == second["tree"]["leaves"] - tiles.WIDTH  # the tile being filled only
    read.clear()
    assert audit_since_verified(registry, full=True)["ok"]
    assert len(read) == second["tree"]["leaves"]
