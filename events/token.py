"""Events of an API token's stream; the stream's id is derived from the token's hash.

They carry the token's SHA-256 hash, never the token: the log is read by
auditors and exported, and a hash of 256 random bits gives nothing away.
"""

from __future__ import annotations

from datetime import datetime

from events.base import RegistryCreated, RegistryEvent


class TokenIssued(RegistryCreated):
    """A token was issued to `name`, with a role and region scopes (none: everywhere).

    `expires_at` None: it never expires (only tokens `adopted` on upgrade, which
    were created before issuance was recorded in the log).
    """

    TOPIC = "TokenIssued"

    name: str
    role: str
    regions: list[str]
    token_hash: str
    expires_at: datetime | None
    adopted: bool


class TokenRevoked(RegistryEvent):
    """The token stops working."""

    TOPIC = "TokenRevoked"

    name: str
    token_hash: str
    reason: str | None
