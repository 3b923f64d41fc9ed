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


def test_the_requests_reason_rides_on_events_that_have_none_of_their_own():
    ctx = Context("registrar:binjai", request_id="r-17", reason="SK terlambat")
    assert ctx.stamp_with_reason() == {"actor": "registrar:binjai", "request_id": "r-17",
                                       "reason": "SK terlambat"}
    assert Context("a").stamp_with_reason()["reason"] is None


def test_a_commands_own_reason_replaces_the_requests_and_none_keeps_it():
    ctx = Context("a", reason="file")
    assert ctx.because("row").reason == "row"
    assert ctx.because(None) is ctx and ctx.because("") is ctx
    assert ctx.because("row").request_id == ctx.request_id
