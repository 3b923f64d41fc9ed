"""An Idempotency-Key is marked applied with the events it wrote: a retry after a
crash between the commit and the answer never writes again. Both engines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from api import agreements as agreement_views
from api.idempotency import fingerprint
from registry.bootstrap import Registry
from registry.domain.context import Context
from registry.store import idempotency as store
from registry.store.db import SqlStore, ensure_schema
from registry.store.idempotency import IdempotencyStore, KeySecret, KeyTakenOver
from tests.builders import labusel_pks, post_labusel_pks

AMENDMENT = {"effective_on": "2022-11-01", "reason": "more workers", "quota": 2500}


class ProcessDied(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler catches it."""


def later(monkeypatch: Any, by: timedelta) -> None:
    monkeypatch.setattr(store, "now", lambda: datetime.now(UTC) + by)


def amend(admin: Any, agreement_id: str, key: str = "amend-1") -> Any:
    return admin.post(f"/api/v1/agreements/{agreement_id}/amendments", json=AMENDMENT,
                      headers={"Idempotency-Key": key})


def amendments(registry: Registry, agreement_id: str) -> list[int]:
    """The versions of the agreement's AgreementAmended events."""
    return [e.originator_version for e in registry.app.events.get(UUID(agreement_id))
            if type(e).__name__ == "AgreementAmended"]


def state_of(registry: Registry, key: str, actor: str) -> tuple[Any, ...]:
    with registry.store.transaction() as cur:
        return cur.execute(f"SELECT state, position FROM {store.TABLE} "  # noqa: S608
                           "WHERE key_digest = ?", (KeySecret(actor, key).digest,)).fetchone()


def actor_of(admin: Any, registry: Registry) -> str:
    return registry.tokens.authenticate(admin.headers["Authorization"].split()[1]).name


def test_a_retry_after_a_crash_between_the_commit_and_the_answer_writes_the_amendment_once(
        admin, registry, monkeypatch):
    agreement = post_labusel_pks(admin)
    # The amendment commits; the process dies before its answer is kept.
    with monkeypatch.context() as patched:
        def die(*args: Any, **kwargs: Any) -> None:
            raise ProcessDied

        patched.setattr(IdempotencyStore, "complete", die)
        with pytest.raises(ProcessDied):
            amend(admin, agreement)
    written = registry.app.head_position()
    assert amendments(registry, agreement) == [2]
    assert state_of(registry, "amend-1", actor_of(admin, registry)) == ("applied", written)
    # The client retries, now and after the first attempt would count as abandoned.
    for wait in (timedelta(0), timedelta(minutes=11), timedelta(hours=23)):
        later(monkeypatch, wait)
        retry = amend(admin, agreement)
        assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json["outcome"] == "applied" and retry.json["position"] == written
    assert amendments(registry, agreement) == [2]
    assert registry.app.head_position() == written


def test_a_server_error_after_the_commit_does_not_release_the_key(admin, registry, monkeypatch):
    agreement = post_labusel_pks(admin)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the answer could not be built")

    with monkeypatch.context() as patched:
        patched.setattr(agreement_views, "written", fail)
        assert amend(admin, agreement).status_code == 500
    retry = amend(admin, agreement)
    assert retry.status_code == 200 and retry.json["outcome"] == "applied"
    assert amendments(registry, agreement) == [2]


def test_an_attempt_whose_key_was_taken_over_writes_nothing(admin, registry, monkeypatch):
    agreement = post_labusel_pks(admin)
    keys, body = registry.idempotency, json.dumps(AMENDMENT).encode()
    request = fingerprint(f"/api/v1/agreements/{agreement}/amendments", b"", body)
    slow = keys.claim("ops", "k", request)
    # The first attempt runs so long that a retry takes the key over.
    later(monkeypatch, timedelta(minutes=11))
    retry = keys.claim("ops", "k", request)
    assert slow.outcome == retry.outcome == "new" and slow.held != retry.held
    with pytest.raises(KeyTakenOver):
        registry.app.amend_agreement(Context("ops", idempotency=slow.held), UUID(agreement),
                                     **_amendment())
    assert amendments(registry, agreement) == []
    written = registry.app.amend_agreement(Context("ops", idempotency=retry.held),
                                           UUID(agreement), **_amendment())
    assert amendments(registry, agreement) == [2]
    found = keys.claim("ops", "k", request)
    assert found.outcome == "lost" and found.position == written.position


def _amendment() -> dict[str, Any]:
    return {"effective_on": date(2022, 11, 1), "reason": "more workers", "quota": 2500}


def test_a_write_without_a_key_or_that_saves_nothing_is_not_affected(admin, registry):
    agreement = post_labusel_pks(admin)
    assert admin.post(f"/api/v1/agreements/{agreement}/amendments",
                      json=AMENDMENT).status_code == 200
    # A batch with a bad row is a dry run: it saves nothing, and its key is released.
    key = {"Idempotency-Key": "batch"}
    batch = {"workers": [{"nik": "123", "name": "X", "occupation": "petani"}]}
    path = f"/api/v1/agreements/{agreement}/enrollments/batch"
    assert admin.post(path, json=batch, headers=key).status_code == 422
    assert state_of(registry, "batch", actor_of(admin, registry)) is None


LEGACY_DDL = """CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL,
    state TEXT NOT NULL, status INTEGER, headers TEXT, body TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (actor, idempotency_key))"""


def test_an_earlier_versions_answers_are_sealed_and_its_table_dropped(settings):
    ensure_schema(settings.database)
    old = SqlStore(settings.database)
    fresh = datetime.now(UTC)
    body = json.dumps(labusel_pks()).encode()
    signed = fingerprint("/api/v1/agreements", b"", body)
    rows = [("ops", "signed", signed, "done", 201, '{"Location": "/api/v1/agreements/x"}',
             '{"name": "Siti Aminah"}', fresh.isoformat()),
            ("ops", "refused", signed, "done", 409, "{}", "{}", fresh.isoformat()),
            ("ops", "old", signed, "done", 201, "{}", "{}",
             (fresh - timedelta(days=2)).isoformat()),
            ("ops", "running", signed, "running", None, None, None, fresh.isoformat())]
    with old.transaction(write=True) as cur:
        cur.execute(LEGACY_DDL)
        cur.executemany("INSERT INTO idempotency_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    old.close()

    registry = Registry.open(settings)
    try:
        with registry.store.transaction() as cur:
            assert cur.columns("idempotency_keys") == []
            kept = cur.execute(f"SELECT * FROM {store.TABLE}").fetchall()  # noqa: S608
        assert len(kept) == 1 and "Siti" not in str(kept)
        found = registry.idempotency.claim("ops", "signed", signed)
        assert found.outcome == "done" and found.answer is not None
        assert found.answer.status == 201 and "Siti Aminah" in found.answer.body
        assert found.answer.headers == {"Location": "/api/v1/agreements/x"}
        assert registry.idempotency.claim("ops", "refused", signed).outcome == "new"
    finally:
        registry.close()
