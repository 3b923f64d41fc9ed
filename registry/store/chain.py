"""Tamper evidence: every event bound, in position order, into a hash chain.

Each event's digest covers its position, stream, version, type and stored
bytes; each chain link is sha256(previous link + digest). The recorders
(`registry/store/sqlitestore.py`, `registry/store/pgstore.py`) write the links in the
same transaction as the events, so an event without its link was not written
by the registry. An auditor who kept a `(position, hash)` head can later check
that nothing up to it was changed, removed or inserted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
CHAIN_TABLE = "event_chain"

_sha256 = hashlib.sha256
# The two spellings of a stream id the stores hand back: SQLite's 32 lowercase
# hex digits, the dashed form (PostgreSQL's uuid as text, exported files).
# Either is turned into str(UUID(...)) without building a UUID; anything else
# goes through UUID, exactly as before.
_HEX32 = re.compile("[0-9a-f]{32}").fullmatch
_DASHED = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def canonical_id(originator_id: Any) -> str:
    """The stream id as the digest spells it: str(UUID), lowercase with dashes."""
    if type(originator_id) is str:
        if len(originator_id) == 32 and _HEX32(originator_id):
            s = originator_id
            return f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"
        if len(originator_id) == 36 and _DASHED(originator_id):
            return originator_id
    return str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))


def state_bytes(state: Any) -> bytes:
    """The bytes a stored state is hashed as."""
    # Stored bytes; text only if someone rewrote the column by hand.
    if type(state) is bytes:
        return state
    return state.encode() if isinstance(state, str) else bytes(state)


def digest_bytes(position: int, originator_id: Any, version: int, topic: str,
                 state: Any) -> bytes:
    """The event's digest as 32 bytes (`digest` is its hex)."""
    head = f"{position}\n{canonical_id(originator_id)}\n{version}\n{topic}\n".encode()
    return _sha256(head + state_bytes(state)).digest()


def digest(position: int, originator_id: Any, version: int, topic: str, state: Any) -> str:
    return digest_bytes(position, originator_id, version, topic, state).hex()


def link(previous: str, event_digest: str) -> str:
    return _sha256(bytes.fromhex(previous) + bytes.fromhex(event_digest)).hexdigest()


def links_for(previous: str, positions: Sequence[int], stored_events: Sequence[Any]
              ) -> list[tuple[int, str, str]]:
    """(position, digest, hash) rows for events just written at `positions`."""
    rows = []
    chained: bytes | None = None
    for position, event in zip(positions, stored_events, strict=True):
        event_digest = digest_bytes(position, event.originator_id, event.originator_version,
                                    event.topic, event.state)
        if chained is None:
            chained = bytes.fromhex(previous)
        chained = _sha256(chained + event_digest).digest()
        rows.append((position, event_digest.hex(), chained.hex()))
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


Row = tuple[int, Any, int, str, Any, "str | None", "str | None"]


def verify_rows(pages: Iterable[Sequence[Row]], link_count: int,
                expect_head: tuple[int, str] | None = None,
                start: tuple[int, str] = (0, GENESIS)) -> Verification | None:
    """`verify` for a store that reads each event together with its own link, fast.

    `pages` hold (position, stream, version, type, stored bytes, digest, hash)
    in position order, `digest` and `hash` being the stored link at the same
    position (None if there is none); `link_count` is how many links the chain
    holds in all (past `start`), read in the same transaction. `start` is a
    (position, hash) verified before: the pages then hold only the events
    after it, chained on from its hash. Returns what `verify` returns
    for an intact log, and None as soon as anything disagrees: then `verify`
    over the two sequences names the first bad position and the problem.
    """
    sha256, canonical, hex32 = _sha256, canonical_id, _HEX32
    position, hash_ = start
    previous, checked = bytes.fromhex(hash_), 0
    expect_position, expect_hash = expect_head if expect_head is not None else (None, None)
    expected_seen = expect_head is None
    last_stream: Any = None
    sid = ""
    for page in pages:
        for position, stream, version, topic, state, stored_digest, stored_hash in page:
            if stream != last_stream:  # a stream's events often follow one another
                last_stream = stream
                if type(stream) is str and len(stream) == 32 and hex32(stream):  # SQLite's
                    s = stream
                    sid = f"{s[:8]}-{s[8:12]}-{s[12:16]}-{s[16:20]}-{s[20:]}"
                else:
                    sid = canonical(stream)
            if type(state) is not bytes:
                state = state_bytes(state)
            event_digest = sha256(
                f"{position}\n{sid}\n{version}\n{topic}\n".encode() + state).digest()
            previous = sha256(previous + event_digest).digest()
            hash_ = previous.hex()
            if hash_ != stored_hash or event_digest.hex() != stored_digest:
                return None
            if position == expect_position:
                if hash_ != expect_hash:
                    return None
                expected_seen = True
        checked += len(page)
    if checked != link_count or not expected_seen:
        return None
    return Verification(ok=True, checked=checked, head_position=position, head_hash=hash_)


def parse_head(text: str) -> tuple[int, str]:
    """`POSITION:HASH`, as `registry verify` prints it."""
    position, _, hash_ = text.partition(":")
    if not position.isdigit() or len(hash_) != 64:
        raise ValueError("expected POSITION:HASH, e.g. 1042:9f86d08...")
    int(hash_, 16)
    return int(position), hash_.lower()

