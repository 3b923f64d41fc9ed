"""What an API token's stream records: the issue with its name, role and hash, then a revocation."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce

from registry.domain.context import Context
from registry.domain.token import ApiToken

ctx = Context("cli:root", request_id="r-9")
HASH = "cd" * 32


def issued() -> ApiToken:
    return ApiToken.issue(ctx, name="medan-ops", role="registrar", regions=["12.71"],
                          token_hash=HASH, expires_at=datetime(2027, 1, 1, tzinfo=UTC))


def test_an_issued_token_records_who_holds_it_and_is_not_revoked():
    token = issued()
    [event] = token.collect_events()
    assert (event.name, event.role, event.regions, event.token_hash) == (
        "medan-ops", "registrar", ["12.71"], HASH)
    assert event.originator_id == token.id == ApiToken.create_id(HASH)
    assert (event.actor, event.request_id) == ("cli:root", "r-9")
    assert token.revoked is False


def test_a_revocation_names_the_token_it_ends_and_replays():
    token = issued()
    token.revoke(ctx, "laptop lost")
    events = token.collect_events()
    assert (events[1].name, events[1].token_hash, events[1].reason) == (
        "medan-ops", HASH, "laptop lost")
    replayed = reduce(lambda a, e: e.mutate(a), events, None)
    assert replayed.revoked is True
    assert (replayed.name, replayed.role, replayed.regions) == ("medan-ops", "registrar", ["12.71"])
