"""Aggregate ids derived from natural keys, so nothing needs a lookup table."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "https://registry.bpjs-rentan.id/")


def derived_id(kind: str, key: str) -> UUID:
    return uuid5(NAMESPACE, f"{kind}:{key}")
