"""Personal fields opened for an answer that shows them, and only then.

The read models hold each worker under a pseudonym (`nik`: its stream id) with
the sealed text of its fields. An answer is walked once: every mapping whose
`nik` is a pseudonym gets the NIK back, and its sealed fields (and those of the
event `data` it carries) opened with that worker's data key. A worker whose key
was destroyed comes back with those fields `None` and `erased: True`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from registry.store import sealing
from registry.store.db import Cursor
from registry.store.keyring import Keyring

if TYPE_CHECKING:
    from projections.runner import ProjectionRunner

T = TypeVar("T")

_PSEUDONYM = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
SEALED_FIELDS = ("name", "birth_date", "address")


def _worker_of(found: dict[str, Any]) -> str | None:
    """The pseudonym of the worker a mapping is about: its `nik`, or the stream of a
    worker's event."""
    nik = found.get("nik")
    if type(nik) is str and _PSEUDONYM(nik):
        return nik
    stream = found.get("stream")
    if found.get("stream_kind") == "worker" and type(stream) is str and _PSEUDONYM(stream):
        return stream
    return None


def _about_workers(found: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(mapping, pseudonym) of each mapping in `found` about a worker."""
    if isinstance(found, dict):
        stream = _worker_of(found)
        if stream is not None:
            yield found, stream
        for value in found.values():
            if isinstance(value, dict | list | tuple):
                yield from _about_workers(value)
    elif isinstance(found, list | tuple):
        for item in found:
            if isinstance(item, dict | list | tuple):
                yield from _about_workers(item)


def read(runner: ProjectionRunner, query: Callable[[Cursor], T],
         known: Mapping[str, str] = MappingProxyType({})) -> T:
    """`query` over read models as current as the log was when it was called (or, on a
    replica, as the client's own writes need: projections/replica.py), with the
    personal fields of the workers it shows opened. `known`: pseudonym -> NIK of the
    workers whose NIK the caller was given (a look-up by NIK), not read again."""
    keyring = runner.app.keyring
    return runner.read(lambda cur: reveal(cur, keyring, query(cur), known))


def reveal(cur: Cursor, keyring: Keyring | None, found: Any,
           known: Mapping[str, str] = MappingProxyType({})) -> Any:
    """`found` with its workers' NIKs and personal fields opened, in place."""
    workers = list(_about_workers(found))
    if not workers:
        return found
    ids = sorted({stream for _, stream in workers})
    keys = keyring.keys(ids, cur) if keyring is not None else {}
    # Without a key (erased, or from before sealing) the stored NIK says which it is.
    unknown = [stream for stream in ids if stream not in known or keys.get(stream) is None]
    sealed_niks: dict[str, Any] = {}
    for start in range(0, len(unknown), 500):
        part = unknown[start:start + 500]
        sealed_niks.update(cur.execute(
            "SELECT worker_id, nik_sealed FROM rm_workers WHERE worker_id IN "  # noqa: S608
            f"({', '.join('?' * len(part))})", part).fetchall())
    for worker, stream in workers:
        key = keys.get(stream)
        if worker.get("nik") == stream:
            worker["nik"] = sealed_niks[stream] if stream in sealed_niks else known.get(stream)
        for state, fields in ((worker, ("nik", *SEALED_FIELDS)),
                              (worker.get("data"), sealing.PERSONAL_FIELDS)):
            if isinstance(state, dict):
                _open(state, fields, stream, key, worker)
        if worker.get("erased") and worker.get("nik") is None:
            # Nothing names the person any more: not even an empty NIK to look up.
            worker.pop("nik", None)
    return found


def _open(state: dict[str, Any], fields: tuple[str, ...], stream: str, key: bytes | None,
          worker: dict[str, Any]) -> None:
    for field in fields:
        value = state.get(field)
        if not sealing.is_sealed(value):
            continue
        if key is None:
            state[field] = None
            worker["erased"] = True
        else:
            # As text, the way the read models keep a birth date.
            state[field] = sealing.as_text(field, sealing.unseal(key, stream, field, str(value)))
