"""The ApiToken aggregate, and how a row of the tokens table is held against it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from events import TokenIssued, TokenRevoked
from registry.domain.context import Context
from registry.domain.dates import utc_iso
from registry.domain.token import ApiToken
from registry.store.tokens import TokenRow, disagreement

ctx = Context("cli:root")
EXPIRES = datetime(2027, 12, 2, 4, 0, tzinfo=UTC)


def issued(**overrides) -> ApiToken:
    fields = {"name": "binjai-ops", "role": "registrar", "regions": ["12.75", "12.75", "12.71"],
              "token_hash": "ab" * 32, "expires_at": EXPIRES}
    return ApiToken.issue(ctx, **{**fields, **overrides})


def row_of(token: ApiToken, **overrides) -> TokenRow:
    row = TokenRow(token.name, token.role, json.dumps(token.regions), token.token_hash,
                   "2026-12-02T04:00:00.000000Z", None,
                   utc_iso(token.expires_at) if token.expires_at else None)
    return replace(row, **overrides)


def test_issuing_is_one_event_with_sorted_regions_in_a_stream_named_by_the_hash():
    token = issued()
    [event] = token.collect_events()
    assert isinstance(event, TokenIssued) and event.regions == ["12.71", "12.75"]
    assert token.id == ApiToken.create_id("ab" * 32) and not event.adopted
    assert (event.actor, event.expires_at) == ("cli:root", EXPIRES)


def test_revoking_twice_records_one_revocation():
    token = issued()
    token.revoke(ctx, "laptop lost")
    token.revoke(ctx, "again")
    events = token.collect_events()
    assert [type(e) for e in events] == [TokenIssued, TokenRevoked]
    assert events[1].reason == "laptop lost" and token.revoked


def test_a_row_as_issued_agrees_and_every_edit_is_named():
    token = issued()
    assert disagreement(row_of(token), token) is None
    assert disagreement(row_of(token), None).startswith("no TokenIssued event")
    assert "role differs" in disagreement(row_of(token, role="admin"), token)
    assert "name, regions differ" in disagreement(
        row_of(token, name="other", regions="[]"), token)
    assert "expires_at differs" in disagreement(row_of(token, expires_at=None), token)
    assert disagreement(row_of(token, revoked_at="2026-12-03T00:00:00Z"), token).startswith(
        "revoked in the table but not in the log")
    token.revoke(ctx)
    assert disagreement(row_of(token), token).startswith("revoked in the log but active")
    assert disagreement(row_of(token, revoked_at="2026-12-03T00:00:00Z"), token) is None


def test_an_adopted_token_never_expires():
    token = issued(expires_at=None, adopted=True)
    assert token.collect_events()[0].adopted
    assert disagreement(row_of(token), token) is None
