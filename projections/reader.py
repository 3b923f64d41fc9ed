"""The log as the read models read it: each event's fields as plain JSON values.

Read models keep text: ISO dates, UUIDs in their usual form, record times as
`utc_iso` writes them. The library would decode every stored event into its
object (dates, UUIDs, datetimes), only for the read models to turn each value
back into text. So a page of the log is read in one query and each event's
JSON is parsed as stored, its typed values written out as text directly.

An event this cannot read exactly as the library would is decoded by the
library and made plain from its object: one stored in an older version of its
class (it needs upcasting), one holding a value of a transcoding this does not
know, or every event of a store with a cipher or compression. Both ways give
the same values (tests/integration/test_reader.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, StoredEvent, UUIDAsHex
from eventsourcing.utils import resolve_topic

from events import RegistryEvent
from registry.domain.dates import utc_iso
from registry.domain.term import DateAsISO
from registry.store.db import Cursor, log_position
from registry.store.sealed_mapper import as_stored

# An event as read models see it: its class, and every field as a JSON value,
# with `originator_id` (str), `originator_version` and `timestamp` (`utc_iso`).
Fields = dict[str, Any]
# (position, class, fields) in log order: one page of the log, shared by every
# read model at that position.
Batch = Sequence[tuple[int, type[RegistryEvent], Fields]]


def plain(value: Any) -> Any:
    """A value of an event's object as JSON: what read models and the audit trail show."""
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _uuid(text: str) -> str:
    if len(text) == 32:  # as the library writes them: hex
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    if len(text) == 36 and text.islower():  # PostgreSQL's uuid as text
        return text
    return str(UUID(text))


def _instant(text: str) -> str:
    # The library's timestamps are UTC with microseconds: "...T18:01:33.045131+00:00".
    if len(text) == 32 and text.endswith("+00:00"):
        return text[:26] + "Z"
    return utc_iso(datetime.fromisoformat(text))


def _day(text: str) -> str:
    return text if len(text) == 10 else date.fromisoformat(text).isoformat()


# The transcodings events use, by the name they are stored under, and each one's
# value as text.
TRANSCODINGS = {"uuid_hex": UUIDAsHex, "datetime_iso": DatetimeAsISO, "date": DateAsISO}
AS_TEXT: dict[str, Callable[[Any], str]] = {
    "uuid_hex": _uuid, "datetime_iso": _instant, "date": _day}
_SCALARS = (str, int, float, bool, type(None))
_msgspec_decode = msgspec.json.Decoder().decode


def _decode(state: bytes) -> Any:
    """The stored JSON as Python values, as `json.loads` gives them, in about half
    its time (parsing is most of reading an event). The library writes with
    `json.dumps`, which also writes NaN and Infinity, outside JSON: the standard
    parser reads those."""
    try:
        return _msgspec_decode(state)
    except msgspec.DecodeError:
        return json.loads(state)


def _text(value: dict[str, Any]) -> str | None:
    """A stored typed value as text; None if `value` is not one this knows."""
    convert = AS_TEXT.get(value.get("_type_"))  # type: ignore[arg-type]
    if convert is None or len(value) != 2 or "_data_" not in value:
        return None
    return convert(value["_data_"])


def _is_plain(value: Any) -> bool:
    """No transcoded value anywhere inside: JSON as stored is JSON as meant."""
    if type(value) is dict:
        return "_type_" not in value and all(map(_is_plain, value.values()))
    if type(value) is list:
        return all(type(v) in _SCALARS or _is_plain(v) for v in value)
    return True


class LogReader:
    """Pages of the log, each event read once for every read model."""

    def __init__(self, app: Any, engine: str) -> None:
        # Personal fields as stored (sealed): read models keep them so, and never hold a key.
        self.mapper = as_stored(app.mapper)
        self.engine = engine
        self.table = app.recorder.events_table_name
        self.position = log_position(engine)
        self._select = f"SELECT {self.position}, {self.columns()} FROM {self.table}"
        self._page = (f"{self._select} WHERE {self.position} > ? AND {self.position} <= ? "
                      f"ORDER BY {self.position} LIMIT ?")
        mapper = app.mapper
        # Text straight from the stored JSON only where the library would have
        # read it through exactly these transcodings.
        self._exact = (mapper.cipher is None and mapper.compressor is None
                       and isinstance(mapper.transcoder, JSONTranscoder)
                       and all(type(mapper.transcoder.names.get(name)) is transcoding
                               for name, transcoding in TRANSCODINGS.items()))
        self._classes: dict[str, tuple[type[RegistryEvent], int]] = {}
        # Each class's fields seen holding typed values: looked at first (`_as_text`).
        self._typed: dict[type, tuple[str, ...]] = {}

    def columns(self, table: str = "") -> str:
        """What `event` takes after the position: stream (as text), version, topic, state."""
        prefix = f"{table}." if table else ""
        stream = "originator_id" if self.engine == "sqlite" else "originator_id::text"
        return (f"{prefix}{stream}, {prefix}originator_version, {prefix}topic, "
                f"{prefix}state")

    def join(self, rows: str, events: str = "e") -> str:
        """The event of each row of `rows` (which has a `position`), as `events`."""
        return f"JOIN {self.table} {events} ON {events}.{self.position} = {rows}.position"

    def first_event(self, cur: Cursor, stream_id: str) -> Fields | None:
        """The fields of the event that created the stream, or None."""
        key = UUID(stream_id)
        row = cur.execute(
            f"{self._select} WHERE originator_id = ? AND originator_version = 1",
            (key.hex if self.engine == "sqlite" else key,)).fetchone()
        return self.event(*row)[2] if row else None

    def read(self, cur: Cursor, start: int, stop: int, limit: int) -> Batch:
        """The events after position `start`, up to `stop` and `limit` many."""
        rows = cur.execute(self._page, (start, stop, limit)).fetchall()
        return [self.event(*row) for row in rows]

    def event(self, position: int, stream: str, version: int, topic: str,
              state: bytes) -> tuple[int, type[RegistryEvent], Fields]:
        found = self._classes.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            found = self._classes[topic] = (cls, getattr(cls, "class_version", 1))
        cls, class_version = found
        if self._exact:
            fields = _decode(state)
            if (fields.pop("class_version", 1) == class_version
                    and self._as_text(cls, fields, state.count(b'"_type_"'))):
                fields["originator_id"] = _uuid(stream)
                fields["originator_version"] = version
                return position, cls, fields
        return position, cls, self.decoded(stream, version, topic, state)

    def decoded(self, stream: str, version: int, topic: str, state: bytes) -> Fields:
        """The event as the library decodes it (upcast to its current shape), made plain."""
        event = self.mapper.to_domain_event(
            StoredEvent(UUID(stream), version, topic, bytes(state)))
        return {name: plain(value) for name, value in event.__dict__.items()}

    def _as_text(self, cls: type, fields: Fields, typed: int) -> bool:
        """Write the stored typed values of `fields` as text, in place; False if one
        of them is not a transcoding this knows, or not at the top.

        `typed` is how many typed values the stored JSON holds (each has one
        `"_type_"` key, which no string can hold unescaped). When the fields
        this class's events keep them in account for all of them, no other
        field needs looking at.
        """
        found = 0
        for name in self._typed.get(cls, ()):
            value = fields.get(name)
            if type(value) is dict:
                text = _text(value)
                if text is None:
                    break
                fields[name] = text
                found += 1
        else:
            if found == typed:
                return True
        # Somewhere else too: look at every field (those done are text by now).
        names = []
        for name, value in fields.items():
            if type(value) is dict:
                text = _text(value)
                if text is None:
                    if not _is_plain(value):
                        return False
                    continue
                fields[name] = text
                names.append(name)
            elif type(value) is list and not _is_plain(value):
                return False
        self._typed[cls] = (*self._typed.get(cls, ()), *names)
        return True
