"""Which agreement a PKS may name as its parent.

A PKS (a regional agency's cooperation agreement) may sit under an MOU whose
region equals or contains its own. The parent must also be one the signer may
see: one outside the signer's regions is refused exactly as an unknown one is,
so that a refusal never tells that an agreement exists elsewhere.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from registry.domain import region_codes
from registry.domain.errors import ValidationFailed
from registry.domain.rules import require

NO_SUCH_PARENT = "no agreement with this id"


class Parent(Protocol):
    """What the rule reads of a parent agreement."""

    kind: str
    region_code: str


P = TypeVar("P", bound=Parent)


def visible_parent(found: P | None, regions: tuple[str, ...] | None) -> P:
    """The agreement named as parent, if it exists (`found`) and lies in `regions`,
    the signer's (None: every region); refused as unknown otherwise."""
    if found is None or (regions is not None
                         and not region_codes.in_any(regions, found.region_code)):
        raise ValidationFailed(f"parent_id: {NO_SUCH_PARENT}", {"parent_id": NO_SUCH_PARENT})
    return found


def check_parent(parent: Parent, regions: tuple[str, ...] | None, kind: str,
                 region_code: str) -> None:
    """Refuse a parent the signer may not see, one that is not an MOU, one for an
    agreement that is not a PKS, and one whose region does not contain the
    child's `region_code`."""
    visible_parent(parent, regions)
    require(kind == "PKS", "parent_id", "only a PKS can have a parent")
    require(parent.kind == "MOU", "parent_id", "the parent must be an MOU")
    require(region_codes.contains(parent.region_code, region_code), "parent_id",
            f"the parent's region {parent.region_code} does not contain {region_code}")
