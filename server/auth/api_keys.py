"""API keys for server-to-server calls (`Authorization: Bearer kk_live_...`).

A key is shown once, when it is created; only its SHA-256 digest is stored. It carries the
scopes it was created with, a rate-limit tier and, optionally, the user it acts for. The
table of active keys is cached in memory and re-read at most every few seconds, so a key
created or revoked from the CLI takes effect in a running server within that delay.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from server.auth.store import AuthStore, digest
from server.identity import Identity

PREFIX = "kk_"
REFRESH_INTERVAL = 5.0


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored (never its secret)."""

    id: str
    name: str
    prefix: str
    scopes: frozenset[str]
    tier: str
    subject: str | None
    created_at: float
    revoked_at: float | None = None

    def identity(self) -> Identity:
        return Identity(
            subject=self.subject or self.id,
            scopes=self.scopes,
            kind="api_key",
            user_type="service",
            tier=self.tier,
            claims={"key_id": self.id, "sub": self.subject or self.id},
        )


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once


def _row_to_key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=frozenset(row["scopes"].split()),
        tier=row["tier"],
        subject=row["subject"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class ApiKeys:
    """Create, list, revoke and recognise API keys."""

    def __init__(self, store: AuthStore, refresh_interval: float = REFRESH_INTERVAL) -> None:
        self.store = store
        self.refresh_interval = refresh_interval
        self._static: dict[str, ApiKey] = {}
        self._active: dict[str, ApiKey] = {}
        self._loaded_at = float("-inf")

    @staticmethod
    def looks_like(token: str) -> bool:
        return token.startswith(PREFIX)

    def add_static(self, secret: str, key: ApiKey) -> None:
        """A key that lives only in this process (the sandbox's published test key)."""
        self._static[digest(secret)] = key

    async def create(
        self,
        name: str,
        scopes: Iterable[str],
        tier: str = "free",
        subject: str | None = None,
        environment: str = "live",
    ) -> NewKey:
        secret = f"{PREFIX}{environment}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id="key_" + secrets.token_hex(8),
            name=name,
            prefix=secret[: len(PREFIX) + len(environment) + 5],
            scopes=frozenset(scopes),
            tier=tier,
            subject=subject,
            created_at=time.time(),
        )
        await self.store.add_api_key(
            {
                "id": key.id,
                "name": key.name,
                "digest": digest(secret),
                "prefix": key.prefix,
                "scopes": " ".join(sorted(key.scopes)),
                "tier": key.tier,
                "subject": key.subject,
                "created_at": key.created_at,
                "revoked_at": None,
            }
        )
        self._loaded_at = float("-inf")
        return NewKey(key, secret)

    async def list(self, include_revoked: bool = False) -> list[ApiKey]:
        return [_row_to_key(r) for r in await self.store.api_keys(include_revoked)]

    async def revoke(self, key_id: str) -> bool:
        done = await self.store.revoke_api_key(key_id)
        self._loaded_at = float("-inf")
        return done

    async def find(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None."""
        d = digest(secret)
        static = self._static.get(d)
        if static is not None:
            return static
        if time.monotonic() - self._loaded_at > self.refresh_interval:
            rows = await self.store.api_keys()
            self._active = {r["digest"]: _row_to_key(r) for r in rows}
            self._loaded_at = time.monotonic()
        return self._active.get(d)
