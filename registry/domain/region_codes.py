"""Kemendagri region codes: a province "12" or a regency/city "12.75".

A scope "12" contains every "12.xx"; a regency contains only itself.
"""

from __future__ import annotations

import re

_REGION = re.compile(r"[0-9]{2}(\.[0-9]{2})?")


def is_region_code(code: str) -> bool:
    return bool(_REGION.fullmatch(code))


def contains(scope: str, region_code: str) -> bool:
    """Whether `region_code` lies inside `scope` (equal, or a regency of it)."""
    return region_code == scope or region_code.startswith(scope + ".")


def in_any(scopes: list[str] | tuple[str, ...], region_code: str) -> bool:
    return any(contains(scope, region_code) for scope in scopes)


def narrowed(scopes: list[str] | None, region_code: str | None) -> list[str] | None:
    """The scopes (None: every region) narrowed to `region_code`: the regions inside
    both (none, if they do not meet)."""
    if region_code is None:
        return scopes
    if scopes is None:
        return [region_code]
    return sorted({region_code if contains(scope, region_code) else scope
                   for scope in scopes
                   if contains(scope, region_code) or contains(region_code, scope)})
