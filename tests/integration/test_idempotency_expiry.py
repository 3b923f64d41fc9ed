"""Idempotency keys expire after their TTL, and the background deletes them (both engines)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from registry.entrypoints.projector import purge_expired_keys
from registry.store import idempotency as store
from registry.store.idempotency import Answer

TTL = timedelta(hours=24)


def at(monkeypatch, hours: float) -> None:
    moment = datetime.now(UTC) + timedelta(hours=hours)
    monkeypatch.setattr(store, "now", lambda: moment)


def answered(keys, key: str) -> None:
    claim = keys.claim("ops", key, "POST /x {}", ttl=TTL)
    assert claim.outcome == "new" and claim.held is not None
    keys.complete(claim.held, claim.secret, Answer(201, {}, "{}"))


def records(registry) -> int:
    with registry.store.transaction() as cur:
        return int(cur.execute(f"SELECT COUNT(*) FROM {store.TABLE}").one()[0])  # noqa: S608


def test_an_expired_key_used_again_is_a_new_key(registry, monkeypatch):
    keys = registry.idempotency
    answered(keys, "k")
    at(monkeypatch, 23)
    assert keys.claim("ops", "k", "POST /x {}", ttl=TTL).outcome == "done"
    at(monkeypatch, 25)
    assert keys.claim("ops", "k", "POST /x {}", ttl=TTL).outcome == "new"
    # Even with another body: it is a new request, not a reuse of the key.
    at(monkeypatch, 50)
    assert keys.claim("ops", "k", "POST /x {\"other\": 1}", ttl=TTL).outcome == "new"


def test_the_background_deletes_every_expired_key_and_keeps_the_rest(registry, monkeypatch):
    monkeypatch.setattr(store, "PURGE_BATCH", 2)  # several batches
    keys = registry.idempotency
    for n in range(5):
        answered(keys, f"old-{n}")
    at(monkeypatch, 20)
    answered(keys, "recent")
    at(monkeypatch, 30)  # the five are 30 hours old, "recent" 10
    purge_expired_keys(registry)
    assert records(registry) == 1
    assert keys.claim("ops", "recent", "POST /x {}", ttl=TTL).outcome == "done"
