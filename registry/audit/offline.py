"""Checking what the log hands out, offline: a `/log/proof` answer, a coverage certificate.

Nothing here reads a database or trusts the registry: every digest is
computed again from the event's bytes, every inclusion proof is checked
against the signed checkpoint, the checkpoint against the log's verifier key
(and, for a certificate, its cosignatures against witnesses' keys), and a
certificate's answer is computed again from its events with the registry's
own aggregates. The first check that fails is named, with why.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from registry.audit import certificate, notes
from registry.domain.worker import Worker
from registry.store import merkle, sealing
from registry.store.chain import digest_bytes

EVENT_FIELDS = {"position", "stream", "version", "type", "state", "digest"}


class Invalid(Exception):
    """A check that failed: `check` names it, the message says why."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"{check}: {detail}")
        self.check = check


def _field(doc: Any, name: str, kind: type | tuple[type, ...], where: str = "") -> Any:
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise Invalid("format", f"{where}{name} is missing or not of the right type")
    return value


def _b64(text: Any, what: str) -> bytes:
    try:
        return notes.strict_b64(str(text))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise Invalid("format", f"{what} is not base64") from None


def signed_checkpoint(text: Any, vkey: notes.VerifierKey,
                      what: str = "checkpoint") -> tuple[notes.Note, notes.Checkpoint]:
    """The note and its checkpoint, if `vkey` signed it; Invalid naming `what` otherwise."""
    if not isinstance(text, str):
        raise Invalid(what, "missing, or not text")
    try:
        note = notes.Note.parse(text)
        checkpoint = notes.Checkpoint.parse(note.text)
    except notes.NoteError as e:
        raise Invalid(what, str(e)) from None
    if checkpoint.origin != vkey.name:
        raise Invalid(what, f"it is of log {checkpoint.origin!r}, not {vkey.name!r}")
    if not note.signed_by(vkey):
        raise Invalid(f"{what} signature", "no signature by the log's key verifies")
    return note, checkpoint


def _leaf(event: Any, where: str) -> bytes:
    """The event's leaf hash, from its digest computed again from its fields."""
    position = _field(event, "position", int, where)
    stream = _field(event, "stream", str, where)
    version = _field(event, "version", int, where)
    topic = _field(event, "type", str, where)
    state = _b64(_field(event, "state", str, where), f"{where}state")
    try:
        canonical = str(UUID(stream)) == stream
    except ValueError:
        canonical = False
    if not canonical:
        raise Invalid("format", f"{where}stream is not a stream id as the log writes it")
    computed = digest_bytes(position, stream, version, topic, state)
    if computed.hex() != _field(event, "digest", str, where):
        raise Invalid("digest", f"the event at position {position}: its content no longer "
                                "matches its digest")
    return merkle.leaf_hash(computed)


def _included(leaf: bytes, index: Any, proof: Any, checkpoint: notes.Checkpoint,
              where: str) -> None:
    if not isinstance(index, int) or isinstance(index, bool):
        raise Invalid("format", f"{where}leaf_index is not a number")
    if not isinstance(proof, list):
        raise Invalid("format", f"{where}inclusion is not a list")
    hashes = [_b64(h, f"{where}inclusion") for h in proof]
    try:
        merkle.verify_inclusion(index, checkpoint.size, leaf, hashes, checkpoint.root)
    except merkle.ProofError as e:
        raise Invalid("inclusion", f"{where.rstrip('.')}: {e}" if where else str(e)) from None


@dataclass(frozen=True)
class ProofVerified:
    position: int
    leaf_index: int
    tree_size: int
    type: str


def verify_proof(doc: Any, vkey: notes.VerifierKey, held: str | None = None) -> ProofVerified:
    """A `/log/proof` answer; with `held`, also against a checkpoint kept from earlier."""
    _, checkpoint = signed_checkpoint(_field(doc, "checkpoint", str), vkey)
    size, event = _field(doc, "tree_size", int), _field(doc, "event", dict)
    if size != checkpoint.size:
        raise Invalid("tree_size", f"{size}, but the checkpoint is of {checkpoint.size} leaves")
    if _field(event, "position", int, "event.") != _field(doc, "position", int):
        raise Invalid("position", "the event is not the one at the position asked")
    leaf = _leaf(event, "event.")
    if _field(doc, "digest", str) != event["digest"]:
        raise Invalid("digest", "the answer's digest is not the event's")
    if _b64(_field(doc, "leaf_hash", str), "leaf_hash") != leaf:
        raise Invalid("leaf_hash", "it is not SHA-256(0x00 || the event's digest)")
    _included(leaf, doc.get("leaf_index"), doc.get("inclusion"), checkpoint, "")
    if held is not None:
        _, kept = signed_checkpoint(held, vkey, "held checkpoint")
        if kept.size != checkpoint.size:
            raise Invalid("held checkpoint", f"it is of {kept.size} leaves, the proof of "
                                             f"{checkpoint.size}: ask for the proof with "
                                             f"tree_size={kept.size}")
        if kept.root != checkpoint.root:
            raise Invalid("held checkpoint", (
                f"the log has signed two roots for a tree of {kept.size} leaves: "
                f"{base64.b64encode(kept.root).decode()} (held) and "
                f"{base64.b64encode(checkpoint.root).decode()} (this proof's); the event "
                "is not in the tree of the checkpoint held"))
    return ProofVerified(event["position"], doc["leaf_index"], size, event["type"])


@dataclass(frozen=True)
class CertificateVerified:
    nik: str
    on: date
    answer: dict[str, Any]
    events: int
    tree_size: int
    witnesses: list[str]


def _witnessed(note: notes.Note, witnesses: list[notes.VerifierKey], quorum: int) -> list[str]:
    cosigned = sorted({w.name for w in witnesses for s in note.signatures
                       if notes.cosignature_time(note.text, s, w) is not None})
    if len(cosigned) < quorum:
        raise Invalid("witnesses", f"{len(cosigned)} of the witnesses given cosigned the "
                                   f"checkpoint, fewer than the quorum of {quorum}")
    return cosigned


def verify_certificate(doc: Any, vkey: notes.VerifierKey,
                       witnesses: list[notes.VerifierKey] | None = None,
                       quorum: int = 0) -> CertificateVerified:
    """Every signature and proof, the worker's versions 1..n, and the answer recomputed."""
    question = _field(doc, "question", dict)
    nik, asked = _field(question, "nik", str, "question."), _field(question, "on", str, "question.")
    try:
        on = date.fromisoformat(asked)
    except ValueError:
        raise Invalid("format", "question.on is not a date") from None
    note, checkpoint = signed_checkpoint(_field(doc, "checkpoint", str), vkey)
    cosigners = _witnessed(note, witnesses or [], quorum)
    entries = _field(doc, "events", list)
    events = []
    for n, entry in enumerate(entries):
        where = f"events[{n}]."
        event = _field(entry, "event", dict, where)
        if set(event) != EVENT_FIELDS or set(entry) != {"event", "leaf_index", "inclusion"}:
            raise Invalid("format", f"{where[:-1]} holds other fields than a certificate's")
        _included(_leaf(event, where + "event."), entry.get("leaf_index"),
                  entry.get("inclusion"), checkpoint, where)
        events.append((entry["leaf_index"], event))
    _check_order(events)
    ordered = [e for _, e in sorted(events, key=lambda pair: pair[0])]
    worker_id = _worker_of(doc, nik, ordered)
    _check_streams(ordered, str(worker_id))
    try:
        recomputed = certificate.answer_from(ordered, worker_id, on)
    except Exception as e:  # noqa: BLE001 - events that do not replay are the finding
        raise Invalid("replay", f"the events do not replay into a worker and its agreements: "
                                f"{type(e).__name__}: {e}") from None
    said = doc.get("answer")
    if recomputed != said:
        differ = next((k for k in ("covered", "programs", "coverages")
                       if not isinstance(said, dict) or recomputed[k] != said.get(k)), "answer")
        raise Invalid("answer", f"the events give covered={recomputed['covered']} with "
                                f"programs {recomputed['programs']}; the certificate's {differ} "
                                "says otherwise")
    return CertificateVerified(nik, on, recomputed, len(ordered), checkpoint.size, cosigners)


def _check_order(events: list[tuple[int, dict[str, Any]]]) -> None:
    """One leaf per event, in the same order as the events' positions."""
    indexes = [i for i, _ in events]
    if len(set(indexes)) != len(indexes):
        raise Invalid("events", "two events claim the same leaf")
    positions = [e["position"] for _, e in sorted(events, key=lambda pair: pair[0])]
    if positions != sorted(set(positions)):
        raise Invalid("events", "the events' positions are not in the order of their leaves")


def _worker_of(doc: dict[str, Any], nik: str, events: list[dict[str, Any]]) -> UUID:
    """The worker's stream, checked to be this NIK's: the NIK its first event holds
    (sealed, opened with the data key the certificate carries; or in clear, in a
    store written before sealing) is the one asked about."""
    given = doc.get("worker")
    if given is None:
        return Worker.create_id(nik)  # a certificate from before workers were pseudonymous
    try:
        worker_id = UUID(_field(given, "id", str, "worker."))
    except ValueError:
        raise Invalid("format", "worker.id is not a stream id") from None
    first = next((e for e in events if e["stream"] == str(worker_id) and e["version"] == 1
                  and e["type"] == "WorkerRegistered"), None)
    if first is None:
        raise Invalid("worker", "the worker's first event is not in the certificate")
    try:
        held = json.loads(_b64(first["state"], "the worker's first event")).get("nik")
    except ValueError:
        raise Invalid("format", "the worker's first event is not JSON") from None
    if sealing.is_sealed(held):
        try:
            held = sealing.unseal(sealing.decoded_key(str(given.get("key"))), str(worker_id),
                                  "nik", held)
        except sealing.Unsealable:
            raise Invalid("worker", "the key the certificate carries does not open the "
                                    "worker's NIK") from None
    if held != nik:
        raise Invalid("worker", "the certificate's worker is not the NIK asked about")
    return worker_id


def _check_streams(events: list[dict[str, Any]], worker_id: str) -> None:
    """The worker's versions run 1..n; each agreement's are its signing, then increase."""
    versions: dict[str, list[int]] = {}
    for event in events:
        versions.setdefault(event["stream"], []).append(event["version"])
    own = versions.pop(worker_id, [])
    if own != list(range(1, len(own) + 1)):
        raise Invalid("worker versions", f"the worker's events are versions {own}, not 1..n "
                                          "without a gap")
    for stream, found in versions.items():
        types = {e["type"] for e in events if e["stream"] == stream}
        if types <= set(certificate.LEDGER):  # a ledger is whole: versions 1..n
            if found != list(range(1, len(found) + 1)):
                raise Invalid("ledger versions", f"ledger {stream}'s events are versions "
                                                 f"{found}, not 1..n without a gap")
            continue
        if not types <= set(certificate.LIFECYCLE):
            raise Invalid("events", f"stream {stream} has events ({', '.join(sorted(types))}) "
                                    "the answer does not rest on")
        if found[0] != 1 or found != sorted(set(found)):
            raise Invalid("agreement versions", f"agreement {stream}'s events are versions "
                                                f"{found}: not its signing, then increasing")
