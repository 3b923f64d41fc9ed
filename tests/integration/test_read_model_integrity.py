"""`verify --read-models`: read models edited by hand are named, on both engines."""

from __future__ import annotations

from datetime import date

import pytest

from projections import check
from projections.base import CHECK
from projections.rebuild import Rebuild
from registry.audit import integrity
from registry.domain import nik as niks
from registry.domain.enrollment import Details
from registry.service.enrollments import EnrollmentRequest
from tests.builders import CTX, sign_and_enroll_three
from tests.integration.tampering import sql


@pytest.fixture
def log(registry):
    """A signing and three enrolled workers; the agreement."""
    agreement = sign_and_enroll_three(registry)
    registry.projections.catch_up()
    return agreement


def leftovers(registry) -> tuple[list[str], list[str]]:
    """The check's shadow tables and position rows still in the store."""
    with registry.store.transaction() as cur:
        if registry.store.engine == "sqlite":
            tables = cur.execute("SELECT name FROM sqlite_master WHERE name LIKE ?",
                                 (CHECK.prefix + "%",)).fetchall()
        else:
            tables = cur.execute("SELECT table_name FROM information_schema.tables WHERE "
                                 "table_schema = current_schema() AND table_name LIKE ?",
                                 (CHECK.prefix + "%",)).fetchall()
        positions = cur.execute("SELECT name FROM projection_positions WHERE name LIKE ?",
                                ("%#" + CHECK.purpose,)).fetchall()
    return [t[0] for t in tables], [p[0] for p in positions]


def enroll_one(registry, agreement, serial: int) -> None:
    registry.app.enroll_workers(CTX, agreement.id, [EnrollmentRequest(
        nik=niks.make("12.22", 1, date(1980, 1, 1), "F", 50 + serial),
        details=Details(name=f"Late {serial}", occupation="pedagang"),
        starts_on=date(2022, 11, 1), row=0)])


def test_read_models_as_the_log_gives_them_pass_and_leave_no_shadow_tables(registry, log):
    found = integrity.audit(registry, read_models=True)
    assert found.ok and found.read_models is not None and found.read_models.ok
    assert found.read_models.tables == 8 and found.read_models.rows > 0
    assert leftovers(registry) == ([], [])


def test_a_coverage_end_moved_by_hand_is_named_with_both_values(registry, log, client, admin):
    sql(registry, "UPDATE rm_enrollments SET covered_until = '2099-12-31'")
    nik = niks.make("12.22", 1, date(1970, 1, 1), "M", 0)
    # The edited row answers for 2050, while the log verifies.
    assert admin.get(f"/api/v1/workers/{nik}/coverage?on=2050-01-01").json["covered"]
    assert integrity.check(registry.app, registry.store).ok
    found = integrity.audit(registry, read_models=True)
    assert not found.ok and found.chain.ok
    report = found.read_models
    assert report.differing_rows == 3
    assert {(d.table, d.kind, d.column, d.live, d.rebuilt) for d in report.differences} == {
        ("rm_enrollments", "changed", "covered_until", "2099-12-31", "2022-12-31")}
    assert {d.key["enrollment_id"] for d in report.differences} == {
        r[0] for r in sql(registry, "SELECT enrollment_id FROM rm_enrollments")}
    assert "covered_until is '2099-12-31' live, '2022-12-31' from the log" in \
        report.differences[0].describe()
    assert leftovers(registry) == ([], [])


def test_rows_added_or_removed_by_hand_are_named(registry, log):
    # The read model keys a worker by its pseudonym, never the NIK.
    gone = str(registry.app.worker_id(niks.make("12.22", 1, date(1970, 1, 1), "M", 1)))
    sql(registry, "DELETE FROM rm_workers WHERE nik = ?", (gone,))
    sql(registry, "INSERT INTO rm_agreement_terms VALUES ('forged', 2, '2023-01-01', "
                  "'2099-12-31')")
    report = integrity.audit(registry, read_models=True).read_models
    assert {(d.table, d.kind, tuple(d.key.values())) for d in report.differences} == {
        ("rm_workers", "only_rebuilt", (gone,)),
        ("rm_agreement_terms", "only_live", ("forged", 2))}


def test_the_list_is_capped_and_says_how_many_rows_differ_in_all(registry, log):
    sql(registry, "UPDATE rm_enrollments SET status = 'voided', actor = 'someone'")
    report = check.check(registry.projections, limit=2)
    assert (report.differing_rows, report.shown_rows) == (3, 2)
    # Every changed column of a row shown is named.
    assert sorted(d.column for d in report.differences) == ["actor", "actor", "status", "status"]
    assert report.as_dict()["differences"][0]["kind"] == "changed"


def test_events_written_while_the_check_runs_are_compared_too(registry, log):
    agreement, written = log, []

    def write_meanwhile(_applied: int) -> None:
        if not written:
            enroll_one(registry, agreement, 0)
            written.append(True)

    report = check.check(registry.projections, progress=write_meanwhile)
    assert written and report.ok
    assert registry.projections.lag() == {"agreements": 0, "coverage": 0, "history": 0, "ledger": 0}


@pytest.mark.parametrize("busy_catch_ups", [2, 100])
def test_writes_between_the_build_and_the_comparison_reach_both_sides(
        registry, log, monkeypatch, busy_catch_ups):
    # Each of the first catch-ups meets a new enrollment: with 100, no snapshot ever
    # finds both sides at one position, and the comparison holds the positions.
    runner, writes = registry.projections, []
    catch_up = runner.catch_up

    def busy(*args, **kwargs):
        if len(writes) < busy_catch_ups:
            enroll_one(registry, log, 10 + len(writes))
            writes.append(True)
        return catch_up(*args, **kwargs)

    monkeypatch.setattr(runner, "catch_up", busy)
    report = check.check(runner)
    assert writes and report.ok and report.differing_rows == 0
    assert leftovers(registry) == ([], [])
    with registry.store.transaction() as cur:
        workers = cur.execute("SELECT COUNT(*) FROM rm_workers").fetchone()[0]
    assert report.rows > 3 + 2 * len(writes) and workers == 3 + len(writes)


def test_the_comparison_holding_the_positions_finds_what_the_snapshot_finds(registry, log):
    enroll_one(registry, log, 1)  # not yet in the live tables: the check catches them up
    assert check.check(registry.projections, attempts=0).ok
    sql(registry, "UPDATE rm_workers SET address = 'Jl. Palsu 1'")
    report = check.check(registry.projections, attempts=0)
    assert report.differing_rows == 4
    assert {(d.table, d.column, d.live) for d in report.differences} == {
        ("rm_workers", "address", "Jl. Palsu 1")}
    assert leftovers(registry) == ([], [])


def test_the_shadow_tables_are_dropped_when_the_check_fails(registry, log):
    sql(registry, "ALTER TABLE rm_history_streams RENAME TO rm_history_streams_away")
    with pytest.raises(Exception, match="rm_history_streams"):
        check.check(registry.projections)
    assert leftovers(registry) == ([], [])
    sql(registry, "ALTER TABLE rm_history_streams_away RENAME TO rm_history_streams")
    assert check.check(registry.projections).ok


def test_what_a_check_killed_midway_left_is_dropped_by_the_next(registry, log):
    killed = Rebuild(registry.projections, shadow=CHECK)
    killed.prepare()
    killed.build(lambda _n: None, max_batches=1)
    assert leftovers(registry) != ([], [])
    assert check.check(registry.projections).ok
    assert leftovers(registry) == ([], [])


def test_a_second_check_at_once_is_refused(registry, log):
    running = check._alone(registry.store)  # a check in another process, say
    refused = pytest.raises(check.CheckRunning, match="another read-model check is running")
    with running, refused:
        check.check(registry.projections)
    assert check.check(registry.projections).ok


def test_a_replay_in_progress_keeps_its_shadow_tables(registry, log):
    replay = Rebuild(registry.projections)
    replay.prepare()
    replay.build(lambda _n: None, max_batches=1)
    assert check.check(registry.projections).ok
    kept = sql(registry, "SELECT name FROM projection_positions WHERE name LIKE ?",
               ("%#rebuild",))
    assert len(kept) == 4 and replay.remaining() == 0
    assert replay.run()
    assert check.check(registry.projections).ok


def test_the_integrity_endpoint_checks_read_models_only_when_asked(registry, log, as_role):
    sql(registry, "UPDATE rm_enrollments SET covered_until = '2099-12-31'")
    auditor = as_role("auditor")
    plain = auditor.get("/api/v1/audit/integrity")
    assert plain.status_code == 200 and plain.json["ok"] and "read_models" not in plain.json
    asked = auditor.get("/api/v1/audit/integrity?read_models=true")
    assert asked.status_code == 200, asked.json
    assert not asked.json["ok"] and asked.json["chain_ok"]
    body = asked.json["read_models"]
    assert body["differing_rows"] == 3 and body["shown_rows"] == 3
    assert body["differences"][0] | {"key": None} == {
        "table": "rm_enrollments", "key": None, "kind": "changed", "column": "covered_until",
        "live": "2099-12-31", "rebuilt": "2022-12-31"}


def test_the_read_model_check_is_for_tokens_without_region_scopes(registry, log, as_role):
    scoped = as_role("auditor", "12.22").get("/api/v1/audit/integrity?read_models=true")
    assert scoped.status_code == 403 and scoped.json["code"] == "forbidden"
    registrar = as_role("registrar").get("/api/v1/audit/integrity?read_models=true")
    assert registrar.status_code == 403
    assert as_role("auditor", "12.22").get("/api/v1/audit/integrity").status_code == 200
    bad = as_role("admin").get("/api/v1/audit/integrity?read_models=perhaps")
    assert bad.status_code == 422 and "read_models" in bad.json["errors"]
