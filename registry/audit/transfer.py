"""Moving the whole log between stores: NDJSON with positions, metadata and hashes.

One line per event, keys sorted, so an export is byte-for-byte reproducible:
exporting an imported copy gives the same file. An import goes into an empty
store only, after the file's chain has been checked end to end, and writes
everything in one transaction: a failed import leaves the store empty. The
Merkle tree is not in the file: the import builds it again from the digests,
in the same transaction, so both stores have the same root.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from uuid import UUID

from registry.audit.integrity import stored_events, stored_links
from registry.domain.errors import RegistryError
from registry.store import tiles
from registry.store.chain import CHAIN_TABLE, GENESIS, canonical_id, digest, link
from registry.store.db import log_position

Progress = Callable[[int], None]
BATCH = 1000


class TransferRefused(RegistryError):
    code = "invalid_transition"


def exported(position: int, stream: Any, version: int, topic: str, state: Any,
             event_digest: str, chained: str) -> dict[str, Any]:
    """An event as an export line holds it (and `/log/proof` and certificates show it)."""
    return {"position": position, "stream": canonical_id(stream), "version": version,
            "type": topic, "state": base64.b64encode(bytes(state)).decode(),
            "digest": event_digest, "hash": chained}


def export(app: Any, store: Any, out: IO[str], progress: Progress = lambda _n: None) -> int:
    """Write every event as one JSON line; refuse a log whose chain does not verify."""
    links = stored_links(store)
    previous, count = GENESIS, 0
    for position, stream, version, topic, state in stored_events(app):
        event_digest = digest(position, stream, version, topic, state)
        previous = link(previous, event_digest)
        stored = next(links, None)
        if stored != (position, event_digest, previous):
            raise TransferRefused(
                f"the log does not verify at position {position}; run `registry verify`")
        out.write(json.dumps(
            exported(position, stream, version, topic, state, event_digest, previous),
            sort_keys=True, separators=(",", ":")) + "\n")
        count += 1
        progress(1)
    keyring = getattr(app, "keyring", None)
    if keyring is not None:
        # Last: the workers' data keys, wrapped; an import needs the same master key.
        with store.transaction() as cur:
            out.write(json.dumps({"keys": keyring.exported(cur)}, sort_keys=True,
                                 separators=(",", ":")) + "\n")
    return count


def read_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Parse and check each line against the chain; raise at the first that breaks it."""
    previous, last_position = GENESIS, 0
    keys_seen = False
    for number, line in enumerate(lines, start=1):
        if keys_seen:
            raise TransferRefused(f"line {number} follows the keys, which end an export")
        try:
            row = json.loads(line)
            if set(row) == {"keys"}:
                keys_seen = True
                continue
            state = base64.b64decode(row["state"], validate=True)
            position, version = int(row["position"]), int(row["version"])
            event_digest = digest(position, row["stream"], version, row["type"], state)
        except (ValueError, KeyError, TypeError) as e:
            raise TransferRefused(f"line {number} is not an exported event: {e}") from None
        previous = link(previous, event_digest)
        if position <= last_position or (event_digest, previous) != (row["digest"], row["hash"]):
            raise TransferRefused(
                f"line {number} (position {position}) breaks the hash chain: "
                "the file was changed or is incomplete")
        last_position = position
        yield {**row, "position": position, "version": version, "state": state}


def check_file(path: str) -> tuple[int, int, str]:
    """Verify the whole file first: (events, head position, head hash)."""
    count, head = 0, (0, GENESIS)
    with open(path, encoding="utf-8") as lines:
        for row in read_lines(lines):
            count, head = count + 1, (row["position"], row["hash"])
    return count, head[0], head[1]


def exported_keys(path: str) -> dict[str, Any] | None:
    """The keys an export ends with; None for one written before personal data was sealed."""
    last = ""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            last = line
    try:
        found = json.loads(last) if last.strip() else None
    except ValueError:
        return None
    return found["keys"] if isinstance(found, dict) and set(found) == {"keys"} else None


def import_file(app: Any, store: Any, path: str, progress: Progress = lambda _n: None) -> int:
    """Load a verified export into an empty store, keeping every position; its keys
    too, which open only under the master key of the store it came from."""
    if app.head_position():
        raise TransferRefused("the target store is not empty; import only into a new database")
    _, head, _ = check_file(path)
    keys, keyring = exported_keys(path), getattr(app, "keyring", None)
    if keys is not None and keyring is not None and not keyring.opens(keys["index"]):
        raise TransferRefused(
            "REGISTRY_MASTER_KEY_FILE: this master key does not open the export's keys; "
            "import with the master key of the store it was exported from")
    table = app.recorder.events_table_name
    sqlite = store.engine == "sqlite"
    count = 0
    with store.transaction(write=True) as cur, open(path, encoding="utf-8") as lines:
        batch: list[dict[str, Any]] = []
        for row in read_lines(lines):
            batch.append(row)
            if len(batch) == BATCH:
                count += _insert(cur, table, batch, sqlite)
                progress(len(batch))
                batch = []
        count += _insert(cur, table, batch, sqlite)
        progress(len(batch))
        tiles.catch_up(tiles.TreeCursor(cur))
        if keyring is not None:
            keyring.adopt(cur, keys or keyring.clear_export(head + 1 if head else 0))
        if not sqlite and count:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'notification_id'), "
                        "(SELECT MAX(notification_id) FROM " + table + "))")  # noqa: S608
    return count


def _insert(cur: Any, table: str, rows: list[dict[str, Any]], sqlite: bool) -> int:
    position_column = log_position(cur.engine)
    cur.insert_rows(table, (position_column, "originator_id", "originator_version", "topic",
                            "state"),
                    [(r["position"], UUID(r["stream"]).hex if sqlite else r["stream"],
                      r["version"], r["type"], r["state"]) for r in rows])
    cur.insert_rows(CHAIN_TABLE, ("position", "digest", "hash"),
                    [(r["position"], r["digest"], r["hash"]) for r in rows])
    return len(rows)
