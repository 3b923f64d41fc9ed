"""Tokens are issued and revoked in the log; a token the log does not back is refused."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from registry.audit import integrity, transfer
from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.context import Context
from registry.domain.token import TokenNameTaken, digest
from tests.callers import Caller
from tests.integration.tampering import sql

OLD_TOKENS_DDL = """CREATE TABLE api_tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    regions TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT)"""


def token_events(registry) -> list[dict]:
    """The token events of the log, as the global log shows them to an unscoped reader."""
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        rows = cur.execute("SELECT position FROM rm_history WHERE stream_kind = 'token' "
                           "ORDER BY position").fetchall()
    stored = {n.id: n for n in registry.app.recorder.select_notifications(start=1, limit=1000)}
    return [{"position": p, "type": stored[p].topic,
             **registry.app.mapper.to_domain_event(stored[p]).__dict__} for (p,) in rows]


def reopened(registry) -> Registry:
    """The same store opened by another process, as it were: nothing cached."""
    return Registry.open(registry.settings)


def test_issuing_records_the_hash_and_never_the_token(registry, client):
    token = registry.tokens.create("binjai-ops", "registrar", ["12.75"],
                                   ctx=Context("cli:root", "req-1"))
    [issued] = token_events(registry)
    assert issued["type"] == "TokenIssued"
    assert (issued["name"], issued["role"], issued["regions"]) == (
        "binjai-ops", "registrar", ["12.75"])
    assert issued["token_hash"] == digest(token) and not issued["adopted"]
    assert (issued["actor"], issued["request_id"]) == ("cli:root", "req-1")
    assert timedelta(days=364) < issued["expires_at"] - issued["timestamp"] <= timedelta(days=365)
    everything = b"".join(bytes(r[0]) for r in sql(registry, "SELECT state FROM {events}"))
    assert token.encode() not in everything and token[4:].encode() not in everything
    # The global log lists it, with the hash, to unscoped readers only.
    admin = Caller(client, registry.tokens.create("admin", "admin", []))
    listed = [e for e in admin.get("/api/v1/events").json["events"] if e["type"] == "TokenIssued"]
    assert [e["data"]["name"] for e in listed] == ["binjai-ops", "admin"]
    assert listed[0]["stream_kind"] == "token" and listed[0]["data"]["token_hash"] == digest(token)
    assert token not in json.dumps(admin.get("/api/v1/events").json)
    scoped = Caller(client, token)
    assert scoped.get("/api/v1/events").json["events"] == []


def test_revoking_records_it_and_the_token_stops_at_once(registry, client):
    token = registry.tokens.create("gone", "admin", [])
    caller = Caller(client, token)
    assert caller.get("/api/v1/agreements").status_code == 200
    assert registry.tokens.revoke("gone", reason="laptop lost")
    assert not registry.tokens.revoke("gone")
    assert caller.get("/api/v1/agreements").status_code == 401
    assert [(e["type"], e.get("reason")) for e in token_events(registry)] == [
        ("TokenIssued", None), ("TokenRevoked", "laptop lost")]
    assert integrity.audit(registry).ok


def test_a_taken_name_writes_nothing(registry):
    registry.tokens.create("twice", "admin", [])
    head = registry.app.head_position()
    with pytest.raises(TokenNameTaken):
        registry.tokens.create("twice", "auditor", [])
    assert registry.app.head_position() == head


def test_a_token_inserted_by_hand_is_refused_and_reported(registry, client):
    forged = "rgt_" + "x" * 43
    sql(registry, "INSERT INTO api_tokens (name, role, regions, token_hash, created_at) "
                  "VALUES ('intruder', 'admin', '[]', ?, '2026-01-01T00:00:00Z')",
        (digest(forged),))
    response = Caller(client, forged).get("/api/v1/agreements")
    assert response.status_code == 401 and response.json["code"] == "unauthorized"
    found = integrity.audit(registry)
    assert found.chain.ok and not found.ok
    assert found.token_problems == [{"name": "intruder", "problem": (
        "no TokenIssued event in the log: was the row inserted by hand?")}]
    auditor = Caller(client, registry.tokens.create("auditor", "auditor", []))
    body = auditor.get("/api/v1/audit/integrity").json
    assert not body["ok"] and body["chain_ok"] and body["token_problems"][0]["name"] == "intruder"


@pytest.mark.parametrize("edit", [
    "role = 'admin'", "regions = '[]'", "regions = '[\"12\"]'",
    "expires_at = '2999-01-01T00:00:00.000000Z'", "expires_at = NULL",
])
def test_a_row_edited_by_hand_is_refused_even_after_it_was_used(registry, client, edit):
    token = registry.tokens.create("scoped", "registrar", ["12.75"])
    caller = Caller(client, token)
    assert caller.get("/api/v1/agreements").status_code == 200
    sql(registry, f"UPDATE api_tokens SET {edit} WHERE name = 'scoped'")
    assert caller.get("/api/v1/agreements").status_code == 401
    [problem] = integrity.audit(registry).token_problems
    assert "differ" in problem["problem"] and problem["name"] == "scoped"


def test_a_hash_moved_onto_another_row_is_refused(registry, client):
    mine = registry.tokens.create("mine", "registrar", ["12.75"])
    registry.tokens.create("boss", "admin", [])
    sql(registry, "UPDATE api_tokens SET token_hash = 'x' WHERE name = 'mine'")
    sql(registry, "UPDATE api_tokens SET token_hash = ? WHERE name = 'boss'", (digest(mine),))
    assert Caller(client, mine).get("/api/v1/agreements").status_code == 401
    assert {p["name"] for p in integrity.audit(registry).token_problems} == {"mine", "boss"}


def test_a_revocation_undone_by_hand_is_refused_by_a_process_that_reads_the_log(registry):
    token = registry.tokens.create("gone", "admin", [])
    registry.tokens.revoke("gone")
    sql(registry, "UPDATE api_tokens SET revoked_at = NULL WHERE name = 'gone'")
    other = reopened(registry)
    try:
        assert other.tokens.authenticate(token) is None
        [problem] = integrity.audit(other).token_problems
        assert problem["problem"].startswith("revoked in the log but active in the table")
    finally:
        other.close()


def test_a_revocation_made_by_hand_is_recorded_by_revoking_again(registry):
    registry.tokens.create("quick", "admin", [])
    sql(registry, "UPDATE api_tokens SET revoked_at = '2026-01-01T00:00:00Z' "
                  "WHERE name = 'quick'")
    [problem] = integrity.audit(registry).token_problems
    assert "registry tokens revoke quick" in problem["problem"]
    assert registry.tokens.revoke("quick")
    assert integrity.audit(registry).ok
    assert [e["type"] for e in token_events(registry)] == ["TokenIssued", "TokenRevoked"]


def test_an_expired_token_is_refused_with_its_own_code(registry, client):
    token = registry.tokens.create("short", "auditor", [], expires_in=timedelta(days=2))
    caller = Caller(client, token)
    assert caller.get("/api/v1/agreements").status_code == 200
    registry.tokens.clock = lambda: datetime.now(UTC) + timedelta(days=2, seconds=1)
    response = caller.get("/api/v1/agreements")
    assert response.status_code == 401 and response.json["code"] == "token_expired"
    assert "expired" in response.headers["WWW-Authenticate"]
    registry.tokens.clock = lambda: datetime.now(UTC) + timedelta(days=1)
    assert caller.get("/api/v1/agreements").status_code == 200


def test_the_log_moves_with_its_token_events_and_replays(registry, as_role, tmp_path):
    as_role("admin")
    registry.tokens.revoke(registry.tokens.list()[0]["name"])
    registry.tokens.create("kept", "auditor", ["12"])
    out = io.StringIO()
    assert transfer.export(registry.app, registry.store, out) == 3
    path = tmp_path / "log.ndjson"
    path.write_text(out.getvalue())
    from projections.rebuild import Rebuild

    assert Rebuild(registry.projections).run()
    assert integrity.audit(registry, read_models=True).ok
    copy = Registry.open(Settings.from_env({
        "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path}/copy.db",
        # An export opens only under the master key of the store it came from.
        "REGISTRY_MASTER_KEY_FILE": registry.settings.master_key_path}))
    try:
        assert transfer.import_file(copy.app, copy.store, str(path)) == 3
        assert Rebuild(copy.projections).run()
        # The tokens themselves stay behind: their table is not part of the log.
        assert copy.tokens.list() == [] and integrity.audit(copy, read_models=True).ok
        assert [e["type"] for e in token_events(copy)] == [
            "TokenIssued", "TokenRevoked", "TokenIssued"]
    finally:
        copy.close()


def test_tokens_of_a_store_from_before_token_events_are_adopted_once(settings):
    # A store as the previous version left it: a table without expiry, no token events.
    first = Registry.open(settings)
    old, gone = "rgt_" + "o" * 43, "rgt_" + "g" * 43
    with first.store.transaction(write=True) as cur:
        cur.execute("DROP TABLE api_tokens")
        cur.execute(OLD_TOKENS_DDL)
        cur.executemany("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?)", [
            ("ops", "registrar", '["12.75"]', digest(old), "2025-01-01T00:00:00Z", None),
            ("gone", "admin", "[]", digest(gone), "2025-01-01T00:00:00Z",
             "2025-06-01T00:00:00Z")])
    first.close()
    upgraded = Registry.open(settings)
    try:
        events = token_events(upgraded)
        assert [(e["type"], e["name"]) for e in events] == [
            ("TokenIssued", "gone"), ("TokenRevoked", "gone"), ("TokenIssued", "ops")]
        assert all(e["actor"] == "registry-upgrade" for e in events)
        assert events[0]["adopted"] and events[0]["expires_at"] is None
        principal = upgraded.tokens.authenticate(old)
        assert principal is not None and principal.regions == ("12.75",)
        upgraded.tokens.clock = lambda: datetime(2999, 1, 1, tzinfo=UTC)  # never expires
        assert upgraded.tokens.authenticate(old) is not None
        assert upgraded.tokens.authenticate(gone) is None
        assert integrity.audit(upgraded).ok
        head = upgraded.app.head_position()
        # Once adopted, a row without its event is refused, however it got there.
        sneaked = "rgt_" + "s" * 43
        sql(upgraded, "INSERT INTO api_tokens (name, role, regions, token_hash, created_at) "
                      "VALUES ('sneaked', 'admin', '[]', ?, '2025-01-01T00:00:00Z')",
            (digest(sneaked),))
    finally:
        upgraded.close()
    again = Registry.open(settings)
    try:
        assert again.app.head_position() == head
        assert again.tokens.authenticate(sneaked) is None
        assert [p["name"] for p in integrity.audit(again).token_problems] == ["sneaked"]
    finally:
        again.close()
