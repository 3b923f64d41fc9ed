"""The CorrectionsFile aggregate: a corrections file, applied once after its preview."""

from __future__ import annotations

from functools import reduce

from events import CorrectionsApplied
from registry.domain.context import Context
from registry.domain.corrections import CorrectionsFile

ctx = Context("registrar:labusel", request_id="r-18")


def test_applying_a_file_records_its_reason_and_rows_in_a_stream_named_by_its_preview():
    # Apply the Dukcapil list of the dead.
    applied = CorrectionsFile.apply(ctx, preview_key="k1", reason="Dukcapil, November 2022",
                                    based_on_position=17824, actions={"disenroll": 100},
                                    file_digest="ab" * 32)

    [event] = applied.collect_events()
    assert isinstance(event, CorrectionsApplied)
    assert (event.actor, event.request_id, event.reason) == (
        "registrar:labusel", "r-18", "Dukcapil, November 2022")
    assert (event.rows, event.actions, event.based_on_position) == (
        100, {"disenroll": 100}, 17824)
    # One stream per preview: a second apply of it would create the same stream again.
    assert applied.id == CorrectionsFile.create_id("k1") != CorrectionsFile.create_id("k2")


def test_replaying_the_event_gives_the_file_back():
    applied = CorrectionsFile.apply(ctx, preview_key="k1", reason=None, based_on_position=3,
                                    actions={"void": 1, "enroll": 1}, file_digest="00")
    [event] = applied.collect_events()
    again = reduce(lambda a, e: e.mutate(a), [event], None)
    assert isinstance(again, CorrectionsFile)
    assert (again.reason, again.actions, again.version) == (None, {"void": 1, "enroll": 1}, 1)
