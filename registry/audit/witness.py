"""One witness round: fetch the log's checkpoint, check it extends the last one kept,
cosign it (C2SP `cosignature/v1`) and post the cosignature back.

A witness keeps the newest checkpoint it has seen in its state folder. A log
that shows it a checkpoint which does not extend that one (a smaller tree, a
different root for the same size, a consistency proof that fails) has
rewritten its past or shows different views to different people: the
witness says INCONSISTENT, keeps the evidence, and never cosigns.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from registry.audit import notes
from registry.audit.offline import Invalid, signed_checkpoint
from registry.store import files, merkle

STATE_FILE = "checkpoint"
TIMEOUT = 30


class Transport(Protocol):
    def get_text(self, path: str) -> str: ...
    def get_json(self, path: str) -> Any: ...
    def post_json(self, path: str, body: Any) -> tuple[int, Any]: ...


class TransportError(Exception):
    """The log could not be reached, or answered something else than asked."""


class HttpTransport:
    """The log's HTTP API at `url` (e.g. https://registry.example.go.id), with a token."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/").removesuffix("/api/v1")
        self.headers = {"Authorization": f"Bearer {token}", "User-Agent": "registry-witness"}

    def _open(self, path: str, data: bytes | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                return answer.status, answer.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise TransportError(f"cannot reach {self.base}: {e}") from None

    def get_text(self, path: str) -> str:
        status, body = self._open(path)
        if status != 200:
            raise TransportError(f"GET {path} answered {status}: {body[:300]!r}")
        return body.decode("utf-8")

    def get_json(self, path: str) -> Any:
        return json.loads(self.get_text(path))

    def post_json(self, path: str, body: Any) -> tuple[int, Any]:
        status, raw = self._open(path, json.dumps(body).encode())
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"detail": raw[:300].decode("utf-8", "replace")}


@dataclass(frozen=True)
class Round:
    ok: bool
    size: int
    message: str
    consistent: bool = True


def _root(checkpoint: notes.Checkpoint) -> str:
    return base64.b64encode(checkpoint.root).decode()


def _save(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with files.open_private(partial, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(partial, path)


def _inconsistent(state: Path, held: notes.Checkpoint, shown: notes.Checkpoint, shown_text: str,
                  why: str) -> Round:
    evidence = state / f"inconsistent-{shown.size}-{int(time.time())}.txt"
    _save(evidence, f"# held\n{state.joinpath(STATE_FILE).read_text()}\n# shown\n{shown_text}")
    return Round(False, shown.size, (
        f"INCONSISTENT: the log's checkpoint of {shown.size} leaves (root {_root(shown)}) does "
        f"not extend the one of {held.size} leaves held (root {_root(held)}): {why}; "
        f"not cosigned; both kept in {evidence}"), consistent=False)


def run_round(transport: Transport, log_key: notes.VerifierKey, witness: notes.Signer,
              state: Path, now: int | None = None) -> Round:
    """Fetch, check, cosign, post; the newest consistent checkpoint is kept in `state`."""
    text = transport.get_text("/api/v1/log/checkpoint")
    try:
        note, shown = signed_checkpoint(text, log_key)
    except Invalid as e:
        return Round(False, 0, f"REFUSED: the log's checkpoint does not verify ({e})")
    kept = state / STATE_FILE
    if kept.exists():
        _, held = signed_checkpoint(kept.read_text(encoding="utf-8"), log_key, "held checkpoint")
        if shown.size < held.size:
            return _inconsistent(state, held, shown, text, "the tree is smaller than before")
        if held.size > 0 and shown.size > held.size:
            found = transport.get_json(
                f"/api/v1/log/consistency?from={held.size}&to={shown.size}")
            try:
                proof = [base64.b64decode(h, validate=True) for h in found.get("proof", [])]
                merkle.verify_consistency(held.size, shown.size, proof, held.root, shown.root)
            except (ValueError, AttributeError) as e:  # ProofError is a ValueError
                return _inconsistent(state, held, shown, text, f"consistency proof: {e}")
        elif shown.size == held.size and shown.root != held.root:
            return _inconsistent(state, held, shown, text, "two roots for the same size")
    _save(kept, text)
    signature = notes.cosign(note.text, witness, int(time.time()) if now is None else now)
    status, body = transport.post_json("/api/v1/log/cosignatures",
                                       {"checkpoint": text, "cosignature": signature.line})
    if status != 201:
        return Round(False, shown.size, f"checked and cosigned size {shown.size}, but the log "
                                        f"refused the cosignature ({status}): "
                                        f"{body.get('detail') if isinstance(body, dict) else body}")
    return Round(True, shown.size, f"cosigned size {shown.size} (root {_root(shown)})")
