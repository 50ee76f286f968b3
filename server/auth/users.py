"""People who sign in at /oauth/authorize: argon2id password hashes, what each may be granted."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash (argon2-cffi defaults) to store instead of the password."""
    return _hasher.hash(password)


@dataclass(frozen=True, slots=True)
class User:
    """One account that can sign in; `scopes` bounds what any token of it may carry."""

    id: str
    email: str
    password_hash: str
    scopes: frozenset[str]
    user_type: str = "patient"
    verified: bool = True
    tier: str = "free"
    claims: Mapping[str, Any] = field(default_factory=dict)

    def token_claims(self) -> dict[str, Any]:
        """Claims every access token of this user carries besides sub and scope."""
        out: dict[str, Any] = {"user_type": self.user_type, "verified": self.verified}
        if self.tier != "free":
            out["tier"] = self.tier
        return {**out, **self.claims}


class UserDirectory(Protocol):
    """Where the authorization server finds users (handlers may back it with a database)."""

    async def authenticate(self, email: str, password: str) -> User | None: ...

    async def get(self, user_id: str) -> User | None: ...


class MemoryUsers:
    """A UserDirectory held in memory (the sandbox's seeded test users)."""

    def __init__(self) -> None:
        self._by_email: dict[str, User] = {}
        self._by_id: dict[str, User] = {}
        self._dummy: str | None = None

    def add(self, *users: User) -> None:
        for user in users:
            self._by_email[user.email.lower()] = user
            self._by_id[user.id] = user

    async def get(self, user_id: str) -> User | None:
        return self._by_id.get(user_id)

    async def authenticate(self, email: str, password: str) -> User | None:
        user = self._by_email.get(email.strip().lower())
        if user is None:
            # Same work for an unknown email, so timing does not reveal which emails exist.
            if self._dummy is None:
                self._dummy = await asyncio.to_thread(hash_password, os.urandom(16).hex())
            await asyncio.to_thread(_matches, self._dummy, password)
            return None
        ok = await asyncio.to_thread(_matches, user.password_hash, password)
        return user if ok else None


def _matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
