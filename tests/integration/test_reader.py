"""Read models read each event's stored JSON directly, and get exactly what the
library's decoding gives, made plain; where they cannot, the library decodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api import create_app
from projections.reader import LogReader
from projections.rebuild import Rebuild
from registry.bootstrap import Registry
from registry.store.db import log_position
from tests.builders import write_every_kind_of_event, write_v1_agreement_signed
from tests.callers import Caller
from tests.integration.reads import rows


def stored_rows(registry: Registry) -> list[tuple[Any, ...]]:
    """Every event as the reader's query gives it: position, stream, version, topic, state."""
    position = log_position(registry.store.engine)
    stream = "originator_id" if registry.store.engine == "sqlite" else "originator_id::text"
    with registry.store.transaction() as cur:
        return cur.execute(
            f"SELECT {position}, {stream}, originator_version, topic, state "  # noqa: S608
            f"FROM {registry.app.recorder.events_table_name} ORDER BY {position}").fetchall()


def test_every_kind_of_event_reads_from_its_json_as_the_library_decodes_it(
        registry, admin, monkeypatch):
    write_every_kind_of_event(admin)
    reader = LogReader(registry.app, registry.store.engine)
    library = reader.decoded
    by_library: list[Any] = []
    monkeypatch.setattr(reader, "decoded", lambda *row: by_library.append(row))
    read = stored_rows(registry)
    assert len(read) > 100
    kinds = set()
    for position, stream, version, topic, state in read:
        _, cls, fields = reader.event(position, stream, version, topic, state)
        assert fields == library(stream, version, topic, state), topic
        assert fields["originator_id"] == str(registry.app.mapper.to_domain_event(
            registry.app.recorder.select_notifications(position, 1)[0]).originator_id)
        kinds.add(cls.__name__)
    assert len(kinds) >= 14
    assert by_library == []  # every one was read from its JSON


def test_an_event_stored_in_an_older_version_is_read_upcast(registry):
    write_v1_agreement_signed(registry)
    reader = LogReader(registry.app, registry.store.engine)
    [(position, stream, version, topic, state)] = stored_rows(registry)
    _, _, fields = reader.event(position, stream, version, topic, state)
    assert fields["document_ref"] is None
    assert fields["starts_on"] == "2022-10-01"
    assert fields["timestamp"] == "2022-10-04T03:15:00.000000Z"


@pytest.fixture
def compressed(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A registry whose events are stored compressed: their JSON cannot be read as stored."""
    monkeypatch.setenv("COMPRESSOR_TOPIC", "eventsourcing.compressor:ZlibCompressor")
    opened = Registry.open(settings)
    yield opened
    opened.close()


def test_a_store_that_compresses_its_events_is_read_through_the_library(compressed):
    client = create_app(registry=compressed).test_client()
    admin = Caller(client, compressed.tokens.create("admin", "admin", []))
    write_every_kind_of_event(admin)
    compressed.projections.catch_up()
    as_they_came = rows(compressed)
    assert len(as_they_came["rm_enrollments"]) > 20
    assert Rebuild(compressed.projections).run()
    assert rows(compressed) == as_they_came
