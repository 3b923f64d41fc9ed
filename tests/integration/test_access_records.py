"""The access records kept per worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from registry.bootstrap import Registry
from registry.store.access import _ID, DDL, Access, ChainReport, seal
from registry.store.db import SqlStore, ensure_schema

PROBER = Access(actor="registrar-labusel", role="registrar",
                route="/api/v1/agreements/<uuid:agreement_id>/enrollments/batch",
                request_id="req-1", purpose="uji")


def test_refusals_are_kept_per_worker_and_counted_per_token(registry: Any) -> None:
    log = registry.access
    log.record(PROBER, [("w-1", "refused: identity_mismatch"),
                        ("w-2", "refused: worker_deceased")])
    log.record(PROBER, [("w-1", "refused: already_covered")])
    log.shown(Access("admin", "admin", "/api/v1/workers/<nik:nik>", "req-2"), ["w-1"])
    log.flush()
    assert log.refusals_within_the_hour("registrar-labusel") == 3
    assert log.refusals_within_the_hour("admin") == 0
    first, after = log.of_worker("w-1", 0, 2)
    assert [r["outcome"] for r in first] == ["refused: identity_mismatch",
                                             "refused: already_covered"]
    assert first[0]["purpose"] == "uji" and first[0]["request_id"] == "req-1"
    rest, end = log.of_worker("w-1", after, 2)
    assert ([r["actor"] for r in rest], end) == (["admin"], None)
    assert log.of_worker("w-3", 0, 10) == ([], None)


def test_nothing_is_written_for_no_refusals(registry: Any) -> None:
    registry.access.record(PROBER, [])
    assert registry.access.refusals_within_the_hour(PROBER.actor) == 0


ADMIN = Access("admin", "admin", "/api/v1/workers/<nik:nik>", "req-3", "klaim JKK")


def test_shown_records_wait_for_a_batch_and_a_flush_writes_them(registry: Any) -> None:
    log = registry.access
    log.shown(ADMIN, [f"w-{i}" for i in range(100)] + ["w-1"])  # a page of 100, w-1 twice
    log.flush()
    with registry.store.transaction() as cur:
        assert cur.execute("SELECT COUNT(*) FROM worker_access WHERE outcome = 'shown'"
                           ).one()[0] == 100
    records, _ = log.of_worker("w-1", 0, 10)
    assert [(r["actor"], r["role"], r["purpose"], r["outcome"]) for r in records] == [
        ("admin", "admin", "klaim JKK", "shown")]


def test_the_background_thread_writes_without_a_flush(registry: Any) -> None:
    registry.access.shown(ADMIN, ["w-9"])
    deadline = time.monotonic() + 5
    while registry.access.of_worker("w-9", 0, 1)[0] == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(registry.access.of_worker("w-9", 0, 1)[0]) == 1


def tamper(registry: Any, sql: str) -> None:
    with registry.store.transaction(write=True) as cur:
        cur.execute(sql)


def test_an_edited_record_breaks_the_chain_there(registry: Any) -> None:
    log = registry.access
    log.record(PROBER, [("w-1", "refused: identity_mismatch")])
    log.shown(ADMIN, ["w-1", "w-2", "w-3"])
    log.flush()
    assert log.verify() == ChainReport(True, 4)
    third = log.of_worker("w-2", 0, 1)[0][0]["id"]
    tamper(registry, f"UPDATE worker_access SET actor = 'someone-else' WHERE id = {third}")
    broken = log.verify()
    assert (broken.ok, broken.first_bad_id, broken.checked) == (False, third, 2)


def test_a_removed_record_breaks_the_chain_at_the_next(registry: Any) -> None:
    log = registry.access
    log.shown(ADMIN, ["w-1", "w-2", "w-3"])
    log.flush()
    ids = [log.of_worker(w, 0, 1)[0][0]["id"] for w in ("w-1", "w-2", "w-3")]
    tamper(registry, f"DELETE FROM worker_access WHERE id = {ids[1]}")
    assert log.verify().first_bad_id == ids[2]


def test_a_record_sealed_with_another_key_does_not_fit(registry: Any) -> None:
    log = registry.access
    log.shown(ADMIN, ["w-1"])
    log.flush()
    forged = seal(b"k" * 32, "", ("w-1", "2026-01-01T00:00:00Z", "x", "admin", "/", "r",
                                  None, "shown", 0))
    tamper(registry, "INSERT INTO worker_access (subject, at, actor, role, route, request_id, "
                     "outcome, refused, mac) VALUES ('w-1', '2026-01-01T00:00:00Z', 'x', "
                     f"'admin', '/', 'r', 'shown', 0, '{forged}')")
    assert log.verify().checked == 1 and not log.verify().ok


def test_writers_of_several_processes_keep_one_chain(settings: Any) -> None:
    # Each registry has connections of its own, as each gunicorn process does.
    opened = [Registry.open(settings) for _ in range(3)]
    try:
        def write(n: int) -> None:
            for i in range(20):
                opened[n].access.shown(ADMIN, [f"w-{n}-{i}-{j}" for j in range(5)])
                if i % 3 == 0:
                    opened[n].access.record(PROBER, [(f"w-{n}", "refused: already_covered")])
            opened[n].access.flush()

        threads = [threading.Thread(target=write, args=(n,)) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert opened[0].access.verify() == ChainReport(True, 3 * (100 + 7))
    finally:
        for each in opened:
            each.close()


def test_records_kept_before_the_chain_are_sealed_as_they_stand(settings: Any) -> None:
    ensure_schema(settings.database)
    store = SqlStore(settings.database)
    old = DDL.replace(",\n    mac TEXT", "").format(id=_ID[store.engine])
    with store.transaction(write=True) as cur:
        cur.execute(old)
        cur.execute("INSERT INTO worker_access (subject, at, actor, role, route, request_id, "
                    "outcome, refused) VALUES ('w-1', '2025-01-01T00:00:00Z', 'r', "
                    "'registrar', '/', 'q', 'refused: already_covered', 1)")
    store.close()
    registry = Registry.open(settings)
    try:
        registry.access.shown(ADMIN, ["w-1"])
        registry.access.flush()
        assert registry.access.verify() == ChainReport(True, 2)
    finally:
        registry.close()


def test_without_the_signing_key_verify_says_so_and_makes_none(settings: Any,
                                                               tmp_path: Any) -> None:
    keyed = dataclasses.replace(settings, signing_key_file=str(tmp_path / "log.key"))
    registry = Registry.open(keyed)
    try:
        registry.access.shown(ADMIN, ["w-1"])
        registry.access.flush()
    finally:
        registry.close()
    elsewhere = Registry.open(dataclasses.replace(keyed, signing_key_file=str(tmp_path / "no.key")))
    try:
        found = elsewhere.access.verify()
    finally:
        elsewhere.close()
    assert not found.ok and found.problem and found.problem.startswith("cannot be checked")
    assert not (tmp_path / "no.key").exists()
