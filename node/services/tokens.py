"""API tokens: shown once at creation, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection

from node.access import Principal, Role
from node.clock import Clock
from node.db.engine import Database
from node.db.fast import FastStatement
from node.db.schema import api_tokens, members
from node.errors import AuthError, ErrorCode, NodeError, NotFound
from node.ledger.system_ids import refuse_system_id

TOKEN_PREFIX = "hb_"
CACHE_TTL_MS = 5_000
CACHE_SIZE_MAX = 10_000
_BY_SECRET = FastStatement(select(api_tokens).where(api_tokens.c.secret_hash == bindparam("h")))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    token: str
    principal: Principal


class TokenService:
    """Creates, checks and revokes tokens.

    Checked tokens are remembered for `cache_ttl_ms` so a request does not pay a database read
    to authenticate. A revocation made by this process takes effect at once; one made by
    another process (the CLI) takes effect within the TTL.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        cache_ttl_ms: int = CACHE_TTL_MS,
        cache_size_max: int = CACHE_SIZE_MAX,
    ) -> None:
        self.db = db
        self.clock = clock
        self.cache_ttl_ms = cache_ttl_ms
        self.cache_size_max = cache_size_max
        self._cache: dict[str, tuple[int, Principal]] = {}

    def cached(self, token: str) -> Principal | None:
        """The principal for a token checked within the TTL, without touching the database."""
        hit = self._cache.get(_hash(token))
        if hit is not None and self.clock.now_ms() < hit[0]:
            return hit[1]
        return None

    def create(
        self,
        *,
        role: Role,
        member_local_id: str | None = None,
        station: str | None = None,
        label: str = "",
    ) -> IssuedToken:
        _check_scope(role, member_local_id=member_local_id, station=station)
        token_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        with self.db.write() as conn:
            if member_local_id is not None:
                _require_member(conn, member_local_id)
            conn.execute(
                insert(api_tokens).values(
                    id=token_id,
                    secret_hash=_hash(token),
                    role=str(role),
                    member_local_id=member_local_id,
                    station=station,
                    label=label,
                    created_at_ms=self.clock.now_ms(),
                )
            )
        principal = Principal(role, token_id, member_local_id, station)
        return IssuedToken(token_id=token_id, token=token, principal=principal)

    def authenticate(self, token: str) -> Principal:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise AuthError(ErrorCode.UNAUTHENTICATED, "malformed API token")
        with self.db.read() as conn:
            rows = _BY_SECRET.rows(conn, {"h": _hash(token)})
        row = rows[0] if rows else None
        if row is None or row.revoked_at_ms is not None:
            raise AuthError(ErrorCode.UNAUTHENTICATED, "unknown or revoked API token")
        principal = Principal(Role(row.role), row.id, row.member_local_id, row.station)
        if len(self._cache) >= self.cache_size_max:
            self._cache.clear()
        self._cache[_hash(token)] = (self.clock.now_ms() + self.cache_ttl_ms, principal)
        return principal

    def revoke(self, token_id: str) -> None:
        self._cache.clear()
        with self.db.write() as conn:
            done = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at_ms.is_(None))
                .values(revoked_at_ms=self.clock.now_ms())
            )
        if done.rowcount != 1:
            raise NotFound(ErrorCode.VALIDATION_FAILED, f"no active token {token_id}")

    def list(self) -> list[dict[str, object]]:
        with self.db.read() as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at_ms)).all()
        return [{k: v for k, v in row._mapping.items() if k != "secret_hash"} for row in rows]


def _check_scope(role: Role, *, member_local_id: str | None, station: str | None) -> None:
    if (role == Role.MEMBER) != (member_local_id is not None):
        raise NodeError(ErrorCode.VALIDATION_FAILED, "a member token names exactly one member")
    if member_local_id is not None:
        # A member token for the pool would spend the pool's hours as their owner.
        refuse_system_id(member_local_id, what="no member token acts for it")
    if (role == Role.STAFF) != (station is not None):
        raise NodeError(ErrorCode.VALIDATION_FAILED, "a staff token names exactly one station")


def _require_member(conn: Connection, local_id: str) -> None:
    found = conn.execute(select(members.c.local_id).where(members.c.local_id == local_id)).first()
    if found is None:
        raise NotFound(ErrorCode.MEMBER_NOT_FOUND, f"no member {local_id}")
