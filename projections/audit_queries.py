"""Queries for the integrity page: the signed checkpoints kept, their cosignatures, the
witnesses' keys (tables of `registry.store.checkpoints`, written by `registry.audit.log`).

Nothing here proves anything: each checkpoint and cosignature carries its own
signature, which the page's reader checks offline with the verifier keys.
"""

from __future__ import annotations

from typing import Any

from registry.store.db import Cursor


def _checkpoint(cur: Cursor, where: str, params: tuple[Any, ...]) -> dict[str, Any] | None:
    row = cur.execute(
        "SELECT tree_size, root, note, signed_at FROM log_checkpoints "  # noqa: S608
        f"WHERE {where} ORDER BY tree_size DESC LIMIT 1", params).fetchone()
    if row is None:
        return None
    size = int(row[0])
    return {"tree_size": size, "root": str(row[1]), "note": str(row[2]),
            "signed_at": str(row[3]), "cosignatures": cosignatures(cur, size)}


def cosignatures(cur: Cursor, tree_size: int) -> list[dict[str, Any]]:
    """The witnesses' cosignatures held for the size, in witness order."""
    rows = cur.execute(
        "SELECT witness, key_id, cosigned_at, received_at, line FROM log_cosignatures "
        "WHERE tree_size = ? ORDER BY witness, key_id", (tree_size,)).fetchall()
    return [{"witness": str(w), "key_id": str(k), "cosigned_at": int(c),
             "received_at": str(r), "line": str(line)} for w, k, c, r, line in rows]


def checkpoints(cur: Cursor) -> dict[str, Any]:
    """The newest checkpoint kept and, if it has no cosignature, the newest one that has."""
    newest = _checkpoint(cur, "1 = 1", ())
    cosigned = newest
    if newest is not None and not newest["cosignatures"]:
        cosigned = _checkpoint(cur, "tree_size IN (SELECT tree_size FROM log_cosignatures)", ())
    witnesses = cur.execute("SELECT name, key_id, vkey FROM log_witness_keys "
                            "ORDER BY name, key_id").fetchall()
    return {"newest": newest, "newest_cosigned": cosigned,
            "witness_keys": [{"name": str(n), "key_id": str(k), "vkey": str(v)}
                             for n, k, v in witnesses]}
