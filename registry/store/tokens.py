"""API tokens: a name (the `actor` on events), a role, region scopes and an expiry.

Issuing and revoking a token are events in the log (`TokenIssued`,
`TokenRevoked`, in a stream of the token's own), bound into the hash chain
like every other. The `api_tokens` table is the lookup by hash that every
request makes; a row counts only while it agrees with its token's stream, so
a row inserted or edited by hand is refused, and `registry verify` names it.

The stream's id is derived from the token's hash, so the row needs no
pointer into the log: the stream is one indexed read away, it shows a later
`TokenRevoked` too (a position would point at the issuance only), and a row
whose hash was changed leads to a stream that is not its own.

Only a SHA-256 digest of each token is stored, in the table and in the log.
Tokens are 256 random bits, so a plain digest is enough: there is nothing to
guess a password from.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError

from registry.domain import region_codes as regions
from registry.domain.context import Context
from registry.domain.dates import utc_iso
from registry.domain.errors import ValidationFailed
from registry.domain.token import (
    ROLES,
    ApiToken,
    Principal,
    TokenExpired,
    TokenNameTaken,
    digest,
)
from registry.store.db import SqlStore

log = logging.getLogger("registry.store.tokens")

PREFIX = "rgt_"
LIFETIME = timedelta(days=365)
# A row found to agree with its stream is trusted this long by each process
# before the stream is read again (see `TokenStore._recorded`).
RECHECK_SECONDS = 300
_MAX_CHECKED = 10_000
TOKENS_DDL = """CREATE TABLE IF NOT EXISTS api_tokens (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    regions TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    expires_at TEXT)"""
_ROW = "name, role, regions, token_hash, created_at, revoked_at, expires_at"


@dataclass(frozen=True)
class TokenRow:
    """A row of `api_tokens`, as stored."""

    name: str
    role: str
    regions: str  # JSON list, sorted
    token_hash: str
    created_at: str
    revoked_at: str | None
    expires_at: str | None


def disagreement(row: TokenRow, issued: ApiToken | None) -> str | None:
    """How the row and its token's stream in the log disagree; None if they agree."""
    if issued is None:
        return "no TokenIssued event in the log: was the row inserted by hand?"
    stored = {"name": row.name, "role": row.role, "regions": json.loads(row.regions),
              "expires_at": row.expires_at}
    logged = {"name": issued.name, "role": issued.role, "regions": issued.regions,
              "expires_at": utc_iso(issued.expires_at) if issued.expires_at else None}
    differ = [name for name in stored if stored[name] != logged[name]]
    if differ:
        verb = "differs" if len(differ) == 1 else "differ"
        return (f"the table's {', '.join(differ)} {verb} from its TokenIssued event: "
                "was the row edited by hand?")
    if issued.revoked and row.revoked_at is None:
        return "revoked in the log but active in the table: was the row edited by hand?"
    if row.revoked_at is not None and not issued.revoked:
        return (f"revoked in the table but not in the log: "
                f"`registry tokens revoke {row.name}` records it")
    return None


class TokenLog(Protocol):
    """What `TokenStore` needs of the application: the tokens' streams."""

    def issue_token(self, ctx: Context, **fields: Any) -> int:
        """Record a `TokenIssued`; its position."""

    def revoke_token(self, ctx: Context, token_hash: str, reason: str | None = None) -> bool:
        """Record a `TokenRevoked`; False if the token was never issued or is revoked."""

    def get_token(self, token_hash: str) -> ApiToken | None:
        """The token's stream as an aggregate; None if it was never issued."""


class TokenStore:
    def __init__(self, store: SqlStore, log_of_tokens: TokenLog) -> None:
        self.store = store
        self.app = log_of_tokens
        # What `authenticate` compares expiries with: tests move it forward.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._checked: dict[TokenRow, tuple[float, bool]] = {}

    def create_table(self) -> None:
        """Create the table; a table made before issuance was recorded is adopted."""
        with self.store.transaction(write=True) as cur:
            cur.execute(TOKENS_DDL)
            adopting = "expires_at" not in cur.columns("api_tokens")
        if adopting:
            self._adopt()

    def create(self, name: str, role: str, region_codes: list[str],
               expires_in: timedelta = LIFETIME, ctx: Context | None = None) -> str:
        """Create a token and return it: the only time it is ever shown."""
        _validate(name, role, region_codes, expires_in)
        if self._row(name) is not None:
            raise TokenNameTaken(f"a token named {name!r} already exists")
        ctx = ctx or Context(actor="registry")
        token = PREFIX + secrets.token_urlsafe(32)
        hashed, now = digest(token), datetime.now(UTC)
        self.app.issue_token(ctx, name=name, role=role, regions=region_codes, token_hash=hashed,
                             expires_at=now + expires_in)
        with self.store.transaction(write=True) as cur:
            cur.execute(
                "INSERT INTO api_tokens (name, role, regions, token_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
                (name, role, json.dumps(sorted(set(region_codes))), hashed, utc_iso(now),
                 utc_iso(now + expires_in)))
            stored = cur.rowcount == 1
        if not stored:
            # Another `create` took the name meanwhile: the issued token is never shown.
            self.app.revoke_token(ctx, hashed, "not stored: the name was taken meanwhile")
            raise TokenNameTaken(f"a token named {name!r} already exists")
        return token

    def authenticate(self, token: str) -> Principal | None:
        """Who the token acts as; None if it is unknown, revoked, or its row disagrees
        with the log. Raises `TokenExpired` once its expiry has passed."""
        return self.authenticate_digest(digest(token))

    def authenticate_digest(self, token_hash: str) -> Principal | None:
        """`authenticate`, by the token's SHA-256 (what a web session keeps instead of
        the token itself), so that a revocation or expiry ends the session at once."""
        with self.store.transaction() as cur:
            found = cur.execute(f"SELECT {_ROW} FROM api_tokens "  # noqa: S608 - fixed
                                "WHERE token_hash = ? AND revoked_at IS NULL",
                                (token_hash,)).fetchone()
        if found is None:
            return None
        row = TokenRow(*found)
        if not self._recorded(row):
            return None
        if row.expires_at is not None and self.clock() >= datetime.fromisoformat(row.expires_at):
            raise TokenExpired(f"the token expired at {row.expires_at}; ask for a new one")
        return Principal(row.name, row.role, tuple(json.loads(row.regions)))

    def _recorded(self, row: TokenRow) -> bool:
        """Whether the row agrees with its token's stream in the log.

        Every request authenticates, so the stream (one indexed read of one or
        two events) is read once per row per process, then trusted for
        RECHECK_SECONDS. The table is read on every request, so a revocation
        takes effect at once; only a hand edit that un-revokes a row or
        changes it back to a shape the process has just checked goes unseen,
        for at most RECHECK_SECONDS (and `registry verify` reports it).
        """
        now = time.monotonic()
        seen = self._checked.get(row)
        if seen is not None and now - seen[0] < RECHECK_SECONDS:
            return seen[1]
        why = disagreement(row, self.app.get_token(row.token_hash))
        if why is not None:
            log.warning("refused token %r: %s", row.name, why)
        if len(self._checked) >= _MAX_CHECKED:
            self._checked.clear()
        self._checked[row] = (now, why is None)
        return why is None

    def revoke(self, name: str, ctx: Context | None = None, reason: str | None = None) -> bool:
        """Revoke the token: it stops working at once. False if no active token has the name.

        The table first (so it stops at once), then the log: a row revoked
        only in the table (by hand, or if this stopped in between) is recorded
        by revoking it again.
        """
        with self.store.transaction(write=True) as cur:
            found = cur.execute("SELECT token_hash, revoked_at FROM api_tokens WHERE name = ?",
                                (name,)).fetchone()
            if found is None:
                return False
            if found[1] is None:
                cur.execute("UPDATE api_tokens SET revoked_at = ? WHERE name = ?",
                            (utc_iso(datetime.now(UTC)), name))
        recorded = self.app.revoke_token(ctx or Context(actor="registry"), found[0], reason)
        return found[1] is None or recorded

    def problems(self) -> list[dict[str, str]]:
        """Each row that disagrees with the log, and how: for `registry verify`."""
        return [{"name": row.name, "problem": problem}
                for row, problem in self.checked_rows() if problem is not None]

    def checked_rows(self) -> list[tuple[TokenRow, str | None]]:
        """Every row, each compared with its token's stream (tokens are few)."""
        with self.store.transaction() as cur:
            rows = [TokenRow(*r) for r in cur.execute(
                f"SELECT {_ROW} FROM api_tokens ORDER BY name").fetchall()]  # noqa: S608
        return [(row, disagreement(row, self.app.get_token(row.token_hash))) for row in rows]

    def _row(self, name: str) -> TokenRow | None:
        with self.store.transaction() as cur:
            found = cur.execute(f"SELECT {_ROW} FROM api_tokens WHERE name = ?",  # noqa: S608
                                (name,)).fetchone()
        return TokenRow(*found) if found else None

    def _adopt(self) -> None:
        """Record the tokens of a table made before issuance was recorded.

        Each gets a `TokenIssued` marked `adopted`, without an expiry (they were
        made to last), and a `TokenRevoked` if it was revoked; then the table
        gets its expiry column, which marks it adopted. Run again after an
        interruption, it records only what is missing.
        """
        ctx = Context(actor="registry-upgrade")
        with self.store.transaction() as cur:
            rows = cur.execute("SELECT name, role, regions, token_hash, revoked_at "
                               "FROM api_tokens ORDER BY name").fetchall()
        for name, role, scopes, hashed, revoked_at in rows:
            if self.app.get_token(hashed) is None:
                with contextlib.suppress(IntegrityError):  # another process adopted it
                    self.app.issue_token(ctx, name=name, role=role, regions=json.loads(scopes),
                                         token_hash=hashed, expires_at=None, adopted=True)
            if revoked_at is not None:
                self.app.revoke_token(ctx, hashed, "revoked before revocations were recorded")
        if rows:
            log.warning("recorded %d tokens made before token issuance was recorded in the "
                        "log (TokenIssued, adopted: true; they never expire)", len(rows))
        if_missing = "IF NOT EXISTS " if self.store.engine == "postgresql" else ""
        with self.store.transaction(write=True) as cur:
            # SQLite's write transactions take turns; PostgreSQL's IF NOT EXISTS does it there.
            if "expires_at" not in cur.columns("api_tokens"):
                cur.execute(f"ALTER TABLE api_tokens ADD COLUMN {if_missing}expires_at TEXT")

    def list(self) -> list[dict[str, Any]]:
        """Every token (never the token itself), and whether its row agrees with the log."""
        return [{"name": row.name, "role": row.role, "regions": json.loads(row.regions),
                 "created_at": row.created_at, "expires_at": row.expires_at,
                 "revoked_at": row.revoked_at, "problem": problem}
                for row, problem in self.checked_rows()]


def _validate(name: str, role: str, region_codes: list[str], expires_in: timedelta) -> None:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}", name):
        raise ValidationFailed("name: use 1-64 letters, digits, '.', '_', '@' or '-'",
                               {"name": "bad token name"})
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", {"role": "unknown"})
    bad = [c for c in region_codes if not regions.is_region_code(c)]
    if bad:
        raise ValidationFailed(f"not region codes: {', '.join(bad)}", {"region": "bad code"})
    if expires_in <= timedelta(0):
        raise ValidationFailed("expires_in: must be positive", {"expires_in": "not positive"})
