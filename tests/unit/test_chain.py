"""The hash chain's definition, and the fast check agreeing with the plain one."""

from __future__ import annotations

import hashlib
import random
import threading
from types import SimpleNamespace
from uuid import UUID

import pytest

from registry.audit import integrity
from registry.store import chain
from registry.store.chain import GENESIS, canonical_id, digest, link, links_for, verify, verify_rows

STREAM = UUID("8de700fc-5e03-518e-baa9-da9c345fb99c")
# Computed by the first release: stored chains and exported files depend on them.
SIGNED = "f30da9171d261f7af2dc0cac635ae136dcaf29135b8d4bad4e7076614af480c9"
AMENDED = "a5456c95adaf79a0b3c20e79d05df410da28c43cb207e779da37c091ad23aec5"
FIRST_LINK = "1ccd778fc8edc523ad4797560a6fa6af9e3d4c838b9bd5cae265a7cbbcb76ae7"
SECOND_LINK = "4e48afab9cae1cc54552fb6db769d9328a7c844b95a88333ac65785b6c6031ef"


def test_digests_and_links_are_those_of_the_first_release():
    assert digest(1, STREAM, 1, "registry.agreement:Agreement.Signed",
                  b'{"quota":2000}') == SIGNED
    # SQLite's spelling of the stream, and a state rewritten as text, hash the same.
    assert digest(2, STREAM.hex, 2, "registry.agreement:Agreement.Amended",
                  '{"title":"Judul"}') == AMENDED
    assert link(GENESIS, SIGNED) == FIRST_LINK
    assert link(FIRST_LINK, AMENDED) == SECOND_LINK


def test_links_for_gives_the_rows_the_recorders_write():
    events = [SimpleNamespace(originator_id=STREAM, originator_version=1,
                              topic="registry.agreement:Agreement.Signed",
                              state=b'{"quota":2000}'),
              SimpleNamespace(originator_id=STREAM, originator_version=2,
                              topic="registry.agreement:Agreement.Amended",
                              state=b'{"title":"Judul"}')]
    assert links_for(GENESIS, [1, 2], events) == [(1, SIGNED, FIRST_LINK),
                                                  (2, AMENDED, SECOND_LINK)]
    assert links_for(FIRST_LINK, [2], events[1:]) == [(2, AMENDED, SECOND_LINK)]
    assert links_for("not hex", [], []) == []
    with pytest.raises(ValueError):
        links_for(GENESIS, [1], events)


@pytest.mark.parametrize("spelling", [
    STREAM, str(STREAM), STREAM.hex, STREAM.hex.upper(), str(STREAM).upper(),
    "{" + str(STREAM) + "}", "urn:uuid:" + str(STREAM)])
def test_every_spelling_of_a_stream_is_canonical_as_before(spelling):
    assert canonical_id(spelling) == str(UUID(str(spelling))) == str(STREAM)


@pytest.mark.parametrize("spelling", ["g" * 32, "x" * 36, "", 42])
def test_a_stream_that_is_no_uuid_is_refused_as_before(spelling):
    with pytest.raises((ValueError, TypeError, AttributeError)):
        canonical_id(spelling)


def _log(n: int, seed: int = 1) -> tuple[list[tuple], list[tuple]]:
    """n events as SQLite stores them, with their links."""
    rng = random.Random(seed)
    streams = [UUID(int=rng.getrandbits(128)).hex for _ in range(max(1, n // 3))]
    events = [(position, rng.choice(streams), rng.randint(1, 9),
               "registry.worker:Worker.Enrolled", rng.randbytes(rng.randint(0, 900)))
              for position in range(1, n + 1)]
    links = links_for(GENESIS, [e[0] for e in events], [
        SimpleNamespace(originator_id=e[1], originator_version=e[2], topic=e[3], state=e[4])
        for e in events])
    return events, links


def _joined(events: list[tuple], links: list[tuple], page: int = 7) -> list[list[tuple]]:
    by_position = {p: (d, h) for p, d, h in links}
    rows = [(*e, *by_position.get(e[0], (None, None))) for e in events]
    return [rows[i:i + page] for i in range(0, len(rows), page)]


def test_the_fast_check_agrees_with_the_plain_one_on_an_intact_log():
    events, links = _log(100)
    plain = verify(events, links)
    assert plain.ok
    assert verify_rows(_joined(events, links), len(links)) == plain
    head = (plain.head_position, plain.head_hash)
    assert verify_rows(_joined(events, links), len(links), head) == verify(events, links, head)
    middle = (links[40][0], links[40][2])
    assert verify_rows(_joined(events, links), len(links), middle) == verify(events, links,
                                                                            middle)
    assert verify_rows([], 0) == verify([], []) == chain.Verification(True, 0, 0, GENESIS)


def test_the_fast_check_hands_anything_else_to_the_plain_one():
    events, links = _log(30)
    changed = [*events[:10], (*events[10][:4], events[10][4] + b" "), *events[11:]]
    assert verify_rows(_joined(changed, links), len(links)) is None
    assert not verify(changed, links).ok
    # A link missing, one too many, a stored digest or hash altered.
    assert verify_rows(_joined(events, links[:-1]), len(links) - 1) is None
    assert verify_rows(_joined(events, links), len(links) + 1) is None
    bad_digest = [(p, d.upper() if p == 5 else d, h) for p, d, h in links]
    assert verify_rows(_joined(events, bad_digest), len(links)) is None
    bad_hash = [(p, d, "0" * 64 if p == 5 else h) for p, d, h in links]
    assert verify_rows(_joined(events, bad_hash), len(links)) is None
    # An expected head that does not match, or is not in the log.
    assert verify_rows(_joined(events, links), len(links), (5, "0" * 64)) is None
    assert verify_rows(_joined(events, links), len(links), (31, links[-1][2])) is None
    # A stream id spelt otherwise is still read as the same stream, as before.
    upper = [(e[0], e[1].upper(), *e[2:]) for e in events]
    assert verify_rows(_joined(upper, links), len(links)) == verify(upper, links)
    assert verify(upper, links).ok
    # One that is no UUID is refused, as before.
    broken = [(e[0], "g" * 32 if e[0] == 7 else e[1], *e[2:]) for e in events]
    with pytest.raises(ValueError):
        verify(broken, links)
    with pytest.raises(ValueError):
        verify_rows(_joined(broken, links), len(links))


def test_prefetched_pages_arrive_in_order_and_the_fetcher_always_ends():
    pages = [[n] for n in range(50)]
    feed = iter([*pages, []])
    with integrity._prefetched(lambda: next(feed)) as got:  # noqa: SLF001
        assert list(got) == pages
    # Left early, with the fetcher blocked on a full queue.
    endless = iter(lambda: [0], None)
    with integrity._prefetched(lambda: next(endless)) as got:  # noqa: SLF001
        assert next(got) == [0]
    assert not [t for t in threading.enumerate() if t.name == "registry-verify-fetch"]


def test_a_failing_fetch_is_raised_in_the_reader():
    def fetch() -> list:
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError, match="connection lost"), \
            integrity._prefetched(fetch) as got:  # noqa: SLF001
        list(got)


def test_the_link_is_sha256_of_the_two_hashes():
    assert link(GENESIS, SIGNED) == hashlib.sha256(
        bytes(32) + bytes.fromhex(SIGNED)).hexdigest()
