"""What the verifiable-log tests share: growing a log, an in-process witness transport,
and an intruder who rewrites an event and covers the tracks the registry can see."""

from __future__ import annotations

import base64
import itertools
from datetime import date
from typing import Any

from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.enrollment import Details
from registry.service.enrollments import EnrollmentRequest
from registry.store import tiles
from registry.store.chain import CHAIN_TABLE, GENESIS, digest, link
from tests.builders import labusel_pks

CTX = Context("tester")
_numbers = itertools.count(1)


def grow(registry: Any, workers: int = 3, region: str = "12.22") -> tuple[Any, list[str]]:
    """Sign a new PKS and enroll `workers` new workers under it: (agreement, their NIKs)."""
    n = next(_numbers)
    fields = dict(labusel_pks(agreement_number=f"PKS-LOG-{n}-{id(registry)}"))
    for key in ("signed_on", "starts_on", "ends_on"):
        fields[key] = date.fromisoformat(fields[key])
    agreement = registry.app.sign_agreement(CTX, **fields).agreement
    found = [niks.make(region, n % 90 + 1, date(1980, 1, 1), "M", 1000 * n + i)
             for i in range(workers)]
    registry.app.enroll_workers(CTX, agreement.id, [
        EnrollmentRequest(nik=nik, details=Details(name=f"Pekerja {nik[-4:]}",
                                                   occupation="petani"),
                          starts_on=date(2022, 10, 1), row=i) for i, nik in enumerate(found)])
    return agreement, found


class ClientTransport:
    """A witness's transport through the Flask test client, for in-process rounds."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get_text(self, path: str) -> str:
        answer = self.client.get(path, headers=self.headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return str(answer.get_data(as_text=True))

    def get_json(self, path: str) -> Any:
        answer = self.client.get(path, headers=self.headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.json

    def post_json(self, path: str, body: Any) -> tuple[int, Any]:
        answer = self.client.post(path, json=body, headers=self.headers)
        return answer.status_code, answer.json


def state_at(registry: Any, position: int) -> bytes:
    """The stored bytes of the event at `position`."""
    events = registry.app.recorder.events_table_name
    column = "rowid" if registry.store.engine == "sqlite" else "notification_id"
    with registry.store.transaction() as cur:
        row = cur.execute(f"SELECT state FROM {events} WHERE {column} = ?",  # noqa: S608
                          (position,)).fetchone()
    return bytes(row[0]) if row else b""


def rewrite_event(registry: Any, position: int, old: bytes, new: bytes) -> None:
    """As an operator with the database and the registry's code would: change one event's
    stored bytes, compute the chain again from there, build the Merkle tree again, and
    drop every checkpoint and cosignature kept, so that `registry verify` finds nothing."""
    events = registry.app.recorder.events_table_name
    column = "rowid" if registry.store.engine == "sqlite" else "notification_id"
    with registry.store.transaction(write=True) as cur:
        (state,) = cur.execute(f"SELECT state FROM {events} WHERE {column} = ?",  # noqa: S608
                               (position,)).fetchone()
        assert old in bytes(state), "the text to change is not in the event"
        cur.execute(f"UPDATE {events} SET state = ? WHERE {column} = ?",  # noqa: S608
                    (bytes(state).replace(old, new), position))
        rows = cur.execute(f"SELECT {column}, originator_id, originator_version, topic, state "  # noqa: S608
                           f"FROM {events} ORDER BY {column}").fetchall()
        previous = GENESIS
        for at, stream, version, topic, stored in rows:
            event_digest = digest(at, stream, version, topic, stored)
            previous = link(previous, event_digest)
            cur.execute(f"UPDATE {CHAIN_TABLE} SET digest = ?, hash = ? WHERE position = ?",  # noqa: S608
                        (event_digest, previous, at))
        cur.execute(f"DELETE FROM {tiles.TABLE}")  # noqa: S608
        tiles.catch_up(tiles.TreeCursor(cur))
        cur.execute("DELETE FROM log_cosignatures")
        cur.execute("DELETE FROM log_checkpoints")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
