"""`PlainSave.save` records what the library's `Application.save` records."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from registry.service.saving import PlainSave


class Counter(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Counted")
    def add(self) -> None:
        self.count += 1


class LibraryApp(Application):
    snapshotting_intervals = {Counter: 2}


class PlainApp(PlainSave, LibraryApp):
    pass


def test_the_plain_save_records_the_same_events_snapshots_and_positions_as_the_library():
    results = []
    for app_class in (LibraryApp, PlainApp):
        app = app_class(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
        one, two = Counter("one"), Counter("two")
        one.add()
        recordings = app.save(one, two, None)
        two.add()
        two.add()
        recordings += app.save(two)
        stored = [(type(e).__name__, e.originator_version) for e in app.events.get(one.id)]
        stored += [(type(e).__name__, e.originator_version) for e in app.events.get(two.id)]
        snapshots = [s.originator_version for s in app.snapshots.get(two.id)]  # type: ignore[union-attr]
        results.append(([r.notification.id for r in recordings], stored, snapshots,
                        app.repository.get(two.id).count))
    assert results[0] == results[1]
    assert results[1][2] == [2]  # a snapshot at version 2, as the interval asks


def test_an_event_saved_on_its_own_still_takes_the_librarys_path():
    app = PlainApp(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    counter = Counter("alone")
    created = counter.collect_events()[0]
    app.save(created)
    assert app.repository.get(counter.id).name == "alone"
