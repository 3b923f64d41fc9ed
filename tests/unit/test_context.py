"""Who is asking, in which request: stamped on every event written."""

from __future__ import annotations

from registry.domain.context import Context, HeldKey


def test_every_event_is_stamped_with_the_actor_and_the_request():
    ctx = Context("registrar:binjai", request_id="r-17")
    assert ctx.stamp() == {"actor": "registrar:binjai", "request_id": "r-17"}


def test_each_context_gets_a_request_id_of_its_own():
    first, second = Context("a"), Context("a")
    assert first.request_id != second.request_id
    assert len(first.request_id) == 32 and int(first.request_id, 16) >= 0


def test_a_held_idempotency_key_travels_to_the_recorder_and_no_key_adds_nothing():
    key = HeldKey(digest="d" * 64, attempt="a1")
    assert Context("a", idempotency=key).save_options() == {"idempotency": key}
    assert Context("a").save_options() == {}
