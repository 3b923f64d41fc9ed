"""`GET /audit/integrity`: check the log from where the last check left it.

A check that finds the log intact remembers how far it got: the chain's
(position, hash) and the Merkle tree's leaves (registry/store/verified.py).
The next check reads only what came after: the events past that position,
chained on from its hash (after checking that the stored link there still
holds it); the snapshots of those events' streams; the leaf tiles from the
one that holds the first new leaf, and the few tiles above them; the newest
checkpoint against the tree; and the tokens (they are few). Its cost grows
with what was written since, not with the log.

What it does not see: a change to an event, a link or a snapshot before the
remembered position, made without touching the link at that position (an
edit that rewrites the chain from the edit to the head, keeping it
consistent, does change that link and is seen). `?full=true`, and `registry
verify`, read everything and see those too; run one on a schedule (daily, or
after each backup) as well. A check that finds a problem forgets the
position, so that the next one is full again.
"""

from __future__ import annotations

import logging
from typing import Any

from registry.audit.integrity import Audit, audit
from registry.audit.treecheck import check_checkpoint, check_tree
from registry.store.verified import Verified, VerifiedStore

log = logging.getLogger("registry.audit")


def audit_since_verified(registry: Any, *, full: bool = False,
                         read_models: bool = False) -> dict[str, Any]:
    """What `GET /audit/integrity` answers: `audit` (full) or only since the last check.

    The answer adds `from_position`: the position the chain was checked from
    (0 for a full check); `checked` counts the events read after it.
    """
    verified_store = VerifiedStore(registry.store)
    since = None if full else verified_store.get()
    found = audit(registry, read_models=read_models, since=since)
    if since is not None and found.chain.ok and found.tree is not None and not found.tree.ok:
        # The tree's problem may lie before the leaves last checked: say where, in full.
        found.tree = check_checkpoint(registry.log, check_tree(registry.store))
    _remember(verified_store, found)
    body = found.as_dict()
    # A problem found from `since` made `check` read the whole log to name it.
    body["from_position"] = since.position if since is not None and found.chain.ok else 0
    return body


def _remember(verified_store: VerifiedStore, found: Audit) -> None:
    try:
        if found.chain.ok and found.tree is not None and found.tree.ok:
            verified_store.keep(Verified(found.chain.head_position, found.chain.head_hash,
                                         found.tree.leaves))
        elif not (found.chain.ok and (found.tree is None or found.tree.ok)):
            verified_store.forget()
    except Exception:  # noqa: BLE001 - the answer stands; the next check is only longer
        log.warning("could not remember how far the log was verified", exc_info=True)
