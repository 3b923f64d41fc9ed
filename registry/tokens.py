"""API tokens: a name (the `actor` on events), a role and region scopes.

Only a SHA-256 digest of each token is stored. Tokens are 256 random bits,
so a plain digest is enough: there is nothing to guess a password from.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from registry import regions
from registry.db import SqlStore
from registry.errors import RegistryError, ValidationFailed

ROLES = ("admin", "registrar", "auditor")
PREFIX = "rgt_"
TOKENS_DDL = """CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    regions TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT)"""


class TokenNameTaken(RegistryError):
    code = "duplicate_token_name"


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


class TokenStore:
    def __init__(self, store: SqlStore) -> None:
        self.store = store

    def create_table(self) -> None:
        with self.store.transaction(write=True) as cur:
            cur.execute(TOKENS_DDL)

    def create(self, name: str, role: str, region_codes: list[str]) -> str:
        """Create a token and return it: the only time it is ever shown."""
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
            raise ValidationFailed("name: use 1-64 letters, digits, '.', '_', '@' or '-'",
                                   {"name": "bad token name"})
        if role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", {"role": "unknown"})
        bad = [c for c in region_codes if not regions.is_region_code(c)]
        if bad:
            raise ValidationFailed(f"not region codes: {', '.join(bad)}", {"region": "bad code"})
        token = PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction(write=True) as cur:
            if cur.execute("SELECT 1 FROM api_tokens WHERE name = ?", (name,)).fetchone():
                raise TokenNameTaken(f"a token named {name!r} already exists")
            cur.execute(
                "INSERT INTO api_tokens (name, role, regions, token_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, role, json.dumps(sorted(set(region_codes))), digest(token),
                 datetime.now(UTC).isoformat().replace("+00:00", "Z")),
            )
        return token

    def authenticate(self, token: str) -> Principal | None:
        with self.store.transaction() as cur:
            row = cur.execute(
                "SELECT name, role, regions FROM api_tokens "
                "WHERE token_hash = ? AND revoked_at IS NULL", (digest(token),)).fetchone()
        if row is None:
            return None
        return Principal(row[0], row[1], tuple(json.loads(row[2])))

    def revoke(self, name: str) -> bool:
        with self.store.transaction(write=True) as cur:
            cur.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (datetime.now(UTC).isoformat().replace("+00:00", "Z"), name))
            return cur.rowcount > 0

    def list(self) -> list[dict[str, object]]:
        with self.store.transaction() as cur:
            rows = cur.execute(
                "SELECT name, role, regions, created_at, revoked_at FROM api_tokens "
                "ORDER BY name").fetchall()
        return [{"name": r[0], "role": r[1], "regions": json.loads(r[2]),
                 "created_at": r[3], "revoked_at": r[4]} for r in rows]
