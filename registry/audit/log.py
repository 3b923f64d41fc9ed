"""The verifiable log: signed checkpoints of the Merkle tree, proofs, cosignatures.

The tree itself is written by the recorders with the events
(`registry/store/tiles.py`); this signs what is stored, never more, and
answers proofs from it. Everything here is what `/api/v1/log/...`, the
`registry log` commands and the coverage certificate are made of.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.audit import keys, notes
from registry.audit.transfer import exported
from registry.config import Settings
from registry.domain.errors import NotFound, ValidationFailed
from registry.store import merkle, tiles
from registry.store.chain import CHAIN_TABLE
from registry.store.checkpoints import CheckpointStore
from registry.store.db import SqlStore, log_position
from registry.store.verified import VerifiedStore


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", {field: message})


@dataclass(frozen=True)
class Signed:
    """A checkpoint and its note, signed by the log."""

    checkpoint: notes.Checkpoint
    note: notes.Note


class VerifiableLog:
    def __init__(self, app: Any, store: SqlStore, settings: Settings) -> None:
        self.app, self.store, self.settings = app, store, settings
        self.kept = CheckpointStore(store)
        self._signer: notes.Signer | None = None
        # What never changes once stored, kept for the next request: full tiles' inner
        # nodes, the root of each tree size, and its signed note.
        self._interiors = tiles.Recent(tiles.INTERIORS)
        self._roots = tiles.Recent(4096)
        self._notes = tiles.Recent(256)

    def reader(self, cur: Any) -> tiles.TreeReader:
        """The stored tree, as the transaction `cur` sees it."""
        return tiles.TreeReader(tiles.TreeCursor(cur), self._interiors)

    def root(self, reader: tiles.TreeReader, size: int) -> bytes:
        found = self._roots.get(size)
        if found is None:
            found = reader.root(size)
            self._roots.put(size, found)
        return bytes(found)

    # Setting up.

    def create_tables(self) -> None:
        self.kept.create_tables()
        VerifiedStore(self.store).create_table()  # registry/audit/incremental.py
        self.catch_up()

    def catch_up(self) -> int:
        """Give the tree the events it lacks (a store made before it had one)."""
        with self.store.transaction() as cur:
            tree = tiles.TreeCursor(cur)
            behind = tiles.last_position(tree.rightmost()) < self._chain_head(cur)
        if not behind:
            return 0
        with self.store.transaction(write=True) as cur:
            if self.store.engine == "postgresql":  # the recorders' lock: positions in order
                cur.execute(f"LOCK TABLE {self.app.recorder.events_table_name} IN EXCLUSIVE MODE")
            return tiles.catch_up(tiles.TreeCursor(cur))

    @staticmethod
    def _chain_head(cur: Any) -> int:
        row = cur.execute(f"SELECT MAX(position) FROM {CHAIN_TABLE}").fetchone()  # noqa: S608
        return int(row[0]) if row and row[0] is not None else 0

    # Keys.

    def signer(self, create: bool = True) -> notes.Signer:
        """The log's signer; its key file is made on first use, if `create` and there is none."""
        if self._signer is None:
            key = keys.signing_key(self.settings.signing_key_path, create=create)
            self._signer = notes.Signer(self.settings.log_origin, key)
        return self._signer

    def vkey(self, create: bool = True) -> notes.VerifierKey:
        return self.signer(create).vkey

    # Checkpoints.

    def size(self) -> int:
        with self.store.transaction() as cur:
            return tiles.size_of(tiles.TreeCursor(cur).rightmost())

    def sign(self, size: int, root: bytes) -> Signed:
        found = self._notes.get((size, root))
        if found is None:
            checkpoint = notes.Checkpoint(self.settings.log_origin, size, root)
            found = Signed(checkpoint, notes.sign(checkpoint.text, self.signer()))
            self._notes.put((size, root), found)
        return found

    def checkpoint(self, size: int | None = None) -> Signed:
        """The signed checkpoint of the tree as stored now (or of its first `size` leaves),
        kept so that witnesses' cosignatures have a note to hang on."""
        with self.store.transaction() as cur:
            reader = self.reader(cur)
            size = reader.size if size is None else size
            root = self.root(reader, size)
        signed = self.sign(size, root)
        if self.kept.note(size) is None:
            self.kept.keep(size, b64(root), str(signed.note))
        return signed

    def served(self, size: int | None = None) -> str:
        """The checkpoint's note followed by the cosignature lines held for its size."""
        signed = self.checkpoint(size)
        held = self.kept.cosignatures(signed.checkpoint.size)
        return str(signed.note) + "".join(line + "\n" for line in held)

    # Proofs.

    def proof(self, position: int, tree_size: int | None = None,
              visible: Callable[[int], bool] = lambda _p: True) -> dict[str, Any]:
        """`GET /log/proof`: the event at `position`, its inclusion proof and the checkpoint."""
        with self.store.transaction() as cur:
            reader = self.reader(cur)
            size = self._size_within(reader.size, tree_size)
            index = reader.leaf_index(position)
            if index is None:
                raise _refuse("position", f"no event at position {position} in the log")
            if index >= size:
                raise _refuse("position", f"the event at position {position} is leaf {index}, "
                                          f"beyond a tree of {size} leaves")
            inclusion, root = reader.inclusion(index, size), self.root(reader, size)
            event = self.event_at(cur, position)
        if not visible(position):  # as if it did not exist, as everywhere else
            raise NotFound(f"no event at position {position}")
        digest = bytes.fromhex(event["digest"])
        return {"position": position, "leaf_index": index, "tree_size": size, "event": event,
                "digest": event["digest"], "leaf_hash": b64(merkle.leaf_hash(digest)),
                "inclusion": [b64(h) for h in inclusion],
                "checkpoint": str(self.sign(size, root).note)}

    @staticmethod
    def _size_within(stored: int, asked: int | None) -> int:
        if asked is None:
            if stored == 0:
                raise _refuse("tree_size", "the log is empty: there is nothing to prove")
            return stored
        if asked < 1:
            raise _refuse("tree_size", "must be at least 1")
        if asked > stored:
            raise _refuse("tree_size", f"{asked} is larger than the log ({stored} events)")
        return asked

    def event_at(self, cur: Any, position: int) -> dict[str, Any]:
        """The event at `position` as `registry export` writes it."""
        column = log_position(self.store.engine)
        events = self.app.recorder.events_table_name
        row = cur.execute(
            f"SELECT e.{column}, e.originator_id, e.originator_version, e.topic, e.state, "  # noqa: S608
            f"c.digest, c.hash FROM {events} e JOIN {CHAIN_TABLE} c ON c.position = e.{column} "
            f"WHERE e.{column} = ?", (position,)).fetchone()
        if row is None:
            raise NotFound(f"the event at position {position} is missing from the store")
        return exported(*row)

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """`GET /log/consistency`: RFC 9162 2.1.4's proof between two tree sizes."""
        with self.store.transaction() as cur:
            reader = self.reader(cur)
            if first < 1:
                raise _refuse("from", "must be at least 1: the empty tree proves nothing")
            if second > reader.size:
                raise _refuse("to", f"{second} is larger than the log ({reader.size} events)")
            if first > second:
                raise _refuse("from", f"{first} is larger than to ({second})")
            proof = reader.consistency(first, second)
        return {"from": first, "to": second, "proof": [b64(h) for h in proof]}

    # Witnesses.

    def add_witness_key(self, text: str) -> tuple[notes.VerifierKey, bool]:
        """Configure a witness's verifier key (type 0x04); whether it was new."""
        vkey = notes.VerifierKey.parse(text)
        if vkey.kind != notes.COSIGNATURE_V1:
            raise notes.NoteError("that is a log's key (type 0x01); a witness's verifier key is "
                                  "of type 0x04, as `registry witness vkey` prints it")
        return vkey, self.kept.add_witness_key(vkey.name, vkey.key_id.hex(), str(vkey))

    def witness_keys(self) -> list[notes.VerifierKey]:
        return [notes.VerifierKey.parse(v) for v in self.kept.witness_keys()]

    def add_cosignature(self, checkpoint_text: str, line: str) -> dict[str, Any]:
        """`POST /log/cosignatures`: keep a witness's cosignature of one of our checkpoints,
        once it verifies against a configured witness key; 422 and nothing kept otherwise."""
        try:
            note = notes.Note.parse(checkpoint_text)
            checkpoint = notes.Checkpoint.parse(note.text)
        except notes.NoteError as e:
            raise _refuse("checkpoint", str(e)) from None
        if checkpoint.origin != self.settings.log_origin or not note.signed_by(self.vkey()):
            raise _refuse("checkpoint", "not a checkpoint signed by this log's key")
        with self.store.transaction() as cur:
            reader = self.reader(cur)
            ours = (checkpoint.size <= reader.size
                    and self.root(reader, checkpoint.size) == checkpoint.root)
        if not ours:
            raise _refuse("checkpoint", "its root is not this log's root at that size")
        try:
            signature = notes.Signature.parse(line.strip())
        except notes.NoteError as e:
            raise _refuse("cosignature", str(e)) from None
        witness = next((k for k in self.witness_keys() if k.name == signature.name
                        and k.key_id == signature.key_id), None)
        if witness is None:
            raise _refuse("cosignature", f"no witness key is configured for {signature.name!r} "
                                         "with that key id (`registry witness add-key`)")
        cosigned_at = notes.cosignature_time(note.text, signature, witness)
        if cosigned_at is None:
            raise _refuse("cosignature", "does not verify as a cosignature/v1 of that checkpoint "
                                         f"by {signature.name}")
        signed = self.sign(checkpoint.size, checkpoint.root)
        if self.kept.note(checkpoint.size) is None:
            self.kept.keep(checkpoint.size, b64(checkpoint.root), str(signed.note))
        self.kept.add_cosignature(checkpoint.size, witness.name, witness.key_id.hex(),
                                  cosigned_at, signature.line)
        return {"tree_size": checkpoint.size, "witness": witness.name, "time": cosigned_at}
