"""Tamper evidence: every event bound, in position order, into a hash chain.

Each event's digest covers its position, stream, version, type and stored
bytes; each chain link is sha256(previous link + digest). The recorders
(`registry/sqlitestore.py`, `registry/pgstore.py`) write the links in the
same transaction as the events, so an event without its link was not written
by the registry. An auditor who kept a `(position, hash)` head can later check
that nothing up to it was changed, removed or inserted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
CHAIN_TABLE = "event_chain"


def canonical_id(originator_id: Any) -> str:
    return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))


def digest(position: int, originator_id: Any, version: int, topic: str, state: Any) -> str:
    head = f"{position}\n{canonical_id(originator_id)}\n{version}\n{topic}\n".encode()
    # Stored bytes; text only if someone rewrote the column by hand.
    body = state.encode() if isinstance(state, str) else bytes(state)
    return hashlib.sha256(head + body).hexdigest()


def link(previous: str, event_digest: str) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + bytes.fromhex(event_digest)).hexdigest()


def links_for(previous: str, positions: Sequence[int], stored_events: Sequence[Any]
              ) -> list[tuple[int, str, str]]:
    """(position, digest, hash) rows for events just written at `positions`."""
    rows = []
    for position, event in zip(positions, stored_events, strict=True):
        event_digest = digest(position, event.originator_id, event.originator_version,
                              event.topic, event.state)
        previous = link(previous, event_digest)
        rows.append((position, event_digest, previous))
    return rows


@dataclass
class Verification:
    ok: bool
    checked: int
    head_position: int
    head_hash: str
    first_bad_position: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": self.ok, "checked": self.checked,
                                "head": {"position": self.head_position, "hash": self.head_hash}}
        if not self.ok:
            body["first_bad_position"] = self.first_bad_position
            body["problem"] = self.problem
        return body


def verify(events: Iterable[tuple[int, Any, int, str, bytes]],
           links: Iterable[tuple[int, str, str]],
           expect_head: tuple[int, str] | None = None) -> Verification:
    """Recompute the chain over the stored events and compare it with the stored links.

    Both inputs must be in position order. Reports the first position where
    they disagree: a changed event, one removed, one inserted, two swapped.
    """
    stored = iter(links)
    previous, checked, head = GENESIS, 0, (0, GENESIS)
    bad: tuple[int, str] | None = None
    expected_seen = expect_head is None
    pending = next(stored, None)
    for position, originator_id, version, topic, state in events:
        while pending is not None and pending[0] < position:
            bad = bad or (pending[0], "an event in the chain is missing from the log")
            pending = next(stored, None)
        event_digest = digest(position, originator_id, version, topic, state)
        previous = link(previous, event_digest)
        checked += 1
        head = (position, previous)
        if bad is None:
            if pending is None or pending[0] != position:
                bad = (position, "an event in the log has no link in the chain")
            elif pending[1] != event_digest:
                bad = (position, "the event's content no longer matches its digest")
            elif pending[2] != previous:
                bad = (position, "the chain breaks here: an earlier event was removed")
        if pending is not None and pending[0] == position:
            pending = next(stored, None)
        if expect_head is not None and position == expect_head[0]:
            expected_seen = True
            if previous != expect_head[1] and bad is None:
                bad = (position, "the expected head hash does not match")
    if bad is None and pending is not None:
        bad = (pending[0], "links exist past the newest event: events were removed")
    if bad is None and not expected_seen:
        assert expect_head is not None
        bad = (expect_head[0], "the expected head position is no longer in the log")
    return Verification(ok=bad is None, checked=checked, head_position=head[0],
                        head_hash=head[1], first_bad_position=bad[0] if bad else None,
                        problem=bad[1] if bad else None)


def parse_head(text: str) -> tuple[int, str]:
    """`POSITION:HASH`, as `registry verify` prints it."""
    position, _, hash_ = text.partition(":")
    if not position.isdigit() or len(hash_) != 64:
        raise ValueError("expected POSITION:HASH, e.g. 1042:9f86d08...")
    int(hash_, 16)
    return int(position), hash_.lower()

