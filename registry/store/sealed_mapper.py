"""The mapper that seals workers' personal fields on the way to the store and opens
them on the way back (registry/store/sealing.py).

Without a keyring it is the library's mapper: sealed values then stay sealed
text, which is what read models keep and what an offline tool sees.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from registry.store import sealing
from registry.store.chain import canonical_id
from registry.store.keyring import Keyring

# Set on a decoded event whose personal fields could not be opened: its worker
# was erased (their data key destroyed).
ERASED = "erased"


class SealingMapper(Mapper[UUID]):
    keyring: Keyring | None = None

    def sealed_view(self) -> Mapper[UUID]:
        """This mapper without the keyring: events as stored, personal fields sealed."""
        return Mapper(self.transcoder, self.compressor, self.cipher)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        fields = sealing.PERSONAL.get(getattr(type(domain_event), "TOPIC", ""))
        if not fields or self.keyring is None:
            return super().to_stored_event(domain_event)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        stream = canonical_id(originator_id)
        clear = [f for f in fields if (value := state.get(f)) is not None
                 and not (type(value) is str and value.startswith(sealing.PREFIX))]
        if clear:
            sealing.seal_fields(self.keyring.sealer(stream, version), stream, version,
                                state, clear)
        stored_state = self.transcoder.encode(state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(originator_id=originator_id, originator_version=version,
                           topic=get_topic(type(domain_event)), state=stored_state)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        fields = sealing.PERSONAL.get(getattr(type(event), "TOPIC", ""))
        if fields and self.keyring is not None:
            open_fields(self.keyring, stored_event.originator_id, vars(event), fields)
        return event


def as_stored(mapper: Mapper[UUID]) -> Mapper[UUID]:
    """`mapper`, reading events as stored: a sealing mapper's personal fields stay sealed."""
    return mapper.sealed_view() if isinstance(mapper, SealingMapper) else mapper


def open_fields(keyring: Keyring, stream: Any, state: dict[str, Any],
                fields: tuple[str, ...] = sealing.PERSONAL_FIELDS) -> dict[str, Any]:
    """Open, in place, the sealed `fields` of one event's `state`: `None` and
    `erased: True` where the worker's key is gone."""
    key: bytes | None = None
    stream_text = canonical_id(stream)
    for field in fields:
        value = state.get(field)
        if not sealing.is_sealed(value):
            continue
        key = key or keyring.key(stream_text)
        if key is None:
            state[field] = None
            state[ERASED] = True
        else:
            state[field] = sealing.unseal(key, stream_text, field, str(value))
    return state
