"""Durable identity state: API keys, authorization codes, refresh-token families, revocations.

SQLite under the data directory by default (SQLAlchemy async + aiosqlite); any SQLAlchemy
async URL works. Secrets are stored as SHA-256 digests only (they are high-entropy random
strings, so a slow hash adds nothing). Single use of codes and refresh tokens is an atomic
`UPDATE ... WHERE unused`, so two racing requests cannot both redeem one.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    MetaData,
    String,
    Table,
    and_,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from server.auth.tokens import Revocations
from server.filemodes import private_file

SYNC_INTERVAL = 5.0
metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("digest", String, nullable=False, unique=True),
    Column("prefix", String, nullable=False),
    Column("scopes", String, nullable=False),
    Column("tier", String, nullable=False),
    Column("subject", String, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

codes = Table(
    "authorization_codes",
    metadata,
    Column("digest", String, primary_key=True),
    Column("client_id", String, nullable=False),
    Column("redirect_uri", String, nullable=False),
    Column("challenge", String, nullable=False),
    Column("scope", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("claims", JSON, nullable=False),
    Column("family", String, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used", Boolean, nullable=False, default=False),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("digest", String, primary_key=True),
    Column("family", String, nullable=False, index=True),
    Column("client_id", String, nullable=False),
    Column("subject", String, nullable=False),
    Column("scope", String, nullable=False),
    Column("claims", JSON, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("used_at", Float, nullable=True),
)

revocations = Table(
    "revocations",
    metadata,
    Column("kind", String, primary_key=True),  # "jti" or "family"
    Column("value", String, primary_key=True),
    Column("expires_at", Float, nullable=False),
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Grant:
    """What a code or refresh token was issued for."""

    client_id: str
    subject: str
    scope: str
    claims: dict[str, Any]
    family: str
    redirect_uri: str = ""
    challenge: str = ""
    expires_at: float = 0.0


class Redeemed(Exception):
    """A code or refresh token was presented again after it had been used (or revoked)."""

    def __init__(self, family: str) -> None:
        super().__init__(family)
        self.family = family


class AuthStore:
    """All durable identity state of one app."""

    def __init__(self, url: str, revoked: Revocations | None = None) -> None:
        self.url = url
        # NullPool: a connection per unit of work, so no connection outlives its event loop.
        self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool)
        self.revoked = revoked or Revocations()
        self._ready = False
        self._lock: asyncio.Lock | None = None
        self._synced_at = float("-inf")

    @classmethod
    def in_dir(cls, data_dir: Path, revoked: Revocations | None = None) -> AuthStore:
        # 0600 before SQLite opens it (its -wal and -shm files take the same mode)
        path = private_file(data_dir / "identity.sqlite3")
        return cls(f"sqlite+aiosqlite:///{path}", revoked)

    async def ready(self) -> None:
        """Create tables and load revocations, once per process."""
        if self._ready:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._ready:
                return
            async with self.engine.begin() as conn:
                if self.engine.dialect.name == "sqlite":
                    await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                await conn.run_sync(metadata.create_all)
            self._ready = True
            await self.sync_revocations(0.0)

    async def sync_revocations(self, max_age: float | None = None) -> None:
        """Learn revocations made by other processes (workers, `kk` commands): re-read
        them when the copy in memory is older than `max_age` (default 5) seconds."""
        if time.monotonic() - self._synced_at < (SYNC_INTERVAL if max_age is None else max_age):
            return
        self._synced_at = time.monotonic()
        now = time.time()
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(revocations).where(revocations.c.expires_at > now))
            for kind, value, expires_at in rows:
                if kind == "jti":
                    self.revoked.jtis[value] = expires_at
                else:
                    self.revoked.families.add(value)
        self.revoked.prune(now)

    async def close(self) -> None:
        await self.engine.dispose()

    # -- API keys -------------------------------------------------------------------------

    async def add_api_key(self, row: dict[str, Any]) -> None:
        await self.ready()
        async with self.engine.begin() as conn:
            await conn.execute(insert(api_keys).values(**row))

    async def api_keys(self, include_revoked: bool = False) -> list[dict[str, Any]]:
        await self.ready()
        query = select(api_keys).order_by(api_keys.c.created_at)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def revoke_api_key(self, key_id: str) -> bool:
        await self.ready()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(and_(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None)))
                .values(revoked_at=time.time())
            )
        return bool(result.rowcount)

    # -- authorization codes --------------------------------------------------------------

    async def add_code(self, code: str, grant: Grant) -> None:
        await self.ready()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(codes).values(
                    digest=digest(code),
                    client_id=grant.client_id,
                    redirect_uri=grant.redirect_uri,
                    challenge=grant.challenge,
                    scope=grant.scope,
                    subject=grant.subject,
                    claims=grant.claims,
                    family=grant.family,
                    expires_at=grant.expires_at,
                    used=False,
                )
            )

    async def take_code(self, code: str) -> Grant | None:
        """The grant of an unused code, marking it used; Redeemed if it was used before."""
        await self.ready()
        key = digest(code)
        async with self.engine.begin() as conn:
            taken = await conn.execute(
                update(codes)
                .where(and_(codes.c.digest == key, codes.c.used.is_(False)))
                .values(used=True)
            )
            row = (await conn.execute(select(codes).where(codes.c.digest == key))).first()
        if row is None:
            return None
        if not taken.rowcount:
            raise Redeemed(row.family)
        return Grant(
            client_id=row.client_id,
            subject=row.subject,
            scope=row.scope,
            claims=dict(row.claims),
            family=row.family,
            redirect_uri=row.redirect_uri,
            challenge=row.challenge,
            expires_at=row.expires_at,
        )

    # -- refresh tokens -------------------------------------------------------------------

    async def add_refresh(self, token: str, grant: Grant) -> None:
        await self.ready()
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(refresh_tokens).values(
                    digest=digest(token),
                    family=grant.family,
                    client_id=grant.client_id,
                    subject=grant.subject,
                    scope=grant.scope,
                    claims=grant.claims,
                    expires_at=grant.expires_at,
                    used_at=None,
                )
            )

    async def use_refresh(self, token: str) -> Grant | None:
        """The grant of an unused refresh token, marking it used; Redeemed on reuse."""
        await self.ready()
        key = digest(token)
        async with self.engine.begin() as conn:
            taken = await conn.execute(
                update(refresh_tokens)
                .where(and_(refresh_tokens.c.digest == key, refresh_tokens.c.used_at.is_(None)))
                .values(used_at=time.time())
            )
            row = (
                await conn.execute(select(refresh_tokens).where(refresh_tokens.c.digest == key))
            ).first()
            family_revoked = (
                row is not None
                and (
                    await conn.execute(
                        select(revocations.c.value).where(
                            and_(revocations.c.kind == "family", revocations.c.value == row.family)
                        )
                    )
                ).first()
                is not None
            )
        if row is None:
            return None
        if not taken.rowcount or family_revoked:
            raise Redeemed(row.family)
        return Grant(
            client_id=row.client_id,
            subject=row.subject,
            scope=row.scope,
            claims=dict(row.claims),
            family=row.family,
            expires_at=row.expires_at,
        )

    async def refresh_grant(self, token: str) -> Grant | None:
        """The grant of a refresh token without using it (for revocation)."""
        await self.ready()
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(refresh_tokens).where(refresh_tokens.c.digest == digest(token))
                )
            ).first()
        if row is None:
            return None
        return Grant(
            row.client_id,
            row.subject,
            row.scope,
            dict(row.claims),
            row.family,
            expires_at=row.expires_at,
        )

    # -- revocation -----------------------------------------------------------------------

    async def revoke(self, kind: str, value: str, expires_at: float) -> None:
        """Revoke a token family ("family") or one access token ("jti") until `expires_at`."""
        await self.ready()
        if kind == "jti":
            self.revoked.jtis[value] = expires_at
        else:
            self.revoked.families.add(value)
        async with self.engine.begin() as conn:
            exists = await conn.execute(
                select(revocations.c.value).where(
                    and_(revocations.c.kind == kind, revocations.c.value == value)
                )
            )
            if exists.first() is None:
                await conn.execute(
                    insert(revocations).values(kind=kind, value=value, expires_at=expires_at)
                )
