"""API tokens as the domain knows them: who a request acts as, and a token's stream.

A token is issued to a name (the `actor` on the events it writes), with a role,
region scopes and an expiry; it may later be revoked. The stream's id is
derived from the token's SHA-256 hash, never from the token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from events import RegistryEvent, TokenIssued, TokenRevoked
from registry.domain import region_codes as regions
from registry.domain.context import Context
from registry.domain.errors import RegistryError
from registry.domain.ids import derived_id

# A witness (DESIGN.md 10) only reads the verifiable log and posts cosignatures.
ROLES = ("admin", "registrar", "auditor", "witness")


class TokenNameTaken(RegistryError):
    code = "duplicate_token_name"


class TokenExpired(RegistryError):
    """The token was valid, but its expiry has passed."""

    code = "token_expired"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as."""

    name: str
    role: str
    regions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scopes(self) -> list[str] | None:
        """Region scopes to filter reads by; None means everywhere."""
        return list(self.regions) if self.regions else None

    def can_see(self, region_code: str) -> bool:
        return not self.regions or regions.in_any(self.regions, region_code)

    def can_write(self, region_code: str) -> bool:
        """Admins and registrars write, each only inside its regions (if scoped)."""
        return self.role in ("admin", "registrar") and self.can_see(region_code)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(Aggregate):
    """A token as the log knows it: issued to a name, with a role and scopes; maybe revoked."""

    TOPIC = "ApiToken"
    # The library types `Event` and `Created` as its own nested classes, and takes any.
    Event = RegistryEvent  # type: ignore[assignment]
    Created = TokenIssued  # type: ignore[assignment]

    def __init__(self) -> None:
        self.revoked = False

    @staticmethod
    def create_id(token_hash: str) -> UUID:
        return derived_id("token", token_hash)

    @classmethod
    def issue(cls, ctx: Context, *, name: str, role: str, regions: Sequence[str],
              token_hash: str, expires_at: datetime | None, adopted: bool = False) -> ApiToken:
        return cls._create(TokenIssued, id=cls.create_id(token_hash), **ctx.stamp(), name=name,
                           role=role, regions=sorted(set(regions)), token_hash=token_hash,
                           expires_at=expires_at, adopted=adopted)

    def revoke(self, ctx: Context, reason: str | None = None) -> None:
        if not self.revoked:
            self.trigger_event(TokenRevoked, **ctx.stamp(), name=self.name,
                               token_hash=self.token_hash, reason=reason)

    @singledispatchmethod
    def when(self, event: Any) -> None:
        raise NotImplementedError(type(event).__name__)

    @when.register(TokenIssued)
    def _issued(self, e: TokenIssued) -> None:
        self.name, self.role, self.regions = e.name, e.role, list(e.regions)
        self.token_hash, self.expires_at = e.token_hash, e.expires_at

    @when.register(TokenRevoked)
    def _revoked(self, e: TokenRevoked) -> None:
        self.revoked = True
