"""Per-account sign-in back-off: failed passwords are counted per email, not only per IP.

The first `free` failures within `window` seconds cost nothing; each further one locks the
account's sign-in for `base * 2**(n - free)` seconds (2, 4, 8... at most `cap`). While
locked, an attempt is refused before its password is checked and is not counted, so nobody
can keep a user locked out for longer than the cap. A success clears the count. The counters
live in the rate limiter's `limits` storage (Redis with REDIS_URL: shared by every worker),
else in memory. Emails are keyed by their SHA-256, unknown ones like known ones.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits.aio.storage import Storage as AsyncStorage
from limits.storage import MemoryStorage, Storage

from kkcore.errors import Problem, RateLimitExceeded

FREE = 5
BASE = 2
CAP = 900
WINDOW = 3600


class LoginBackoff:
    def __init__(
        self,
        storage: Storage | AsyncStorage | None = None,
        *,
        free: int = FREE,
        base: int = BASE,
        cap: int = CAP,
        window: int = WINDOW,
    ) -> None:
        self.storage = storage if storage is not None else MemoryStorage()
        self.free, self.base, self.cap, self.window = free, base, cap, window

    @staticmethod
    def _keys(email: str) -> tuple[str, str]:
        who = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()
        return f"kk/login/{who}/failures", f"kk/login/{who}/lock"

    async def _incr(self, key: str, seconds: int) -> int:
        s = self.storage
        return await s.incr(key, seconds) if isinstance(s, AsyncStorage) else s.incr(key, seconds)

    async def _locked_until(self, key: str) -> float:
        s = self.storage
        if isinstance(s, AsyncStorage):
            return await s.get_expiry(key) if await s.get(key) else 0.0
        return s.get_expiry(key) if s.get(key) else 0.0

    async def check(self, email: str) -> None:
        """Raise RateLimitExceeded (429, Retry-After) while the account is locked."""
        until = await self._locked_until(self._keys(email)[1])
        wait = math.ceil(until - time.time())
        if wait > 0:
            raise locked(wait)

    async def failed(self, email: str) -> None:
        failures_key, lock_key = self._keys(email)
        failures = await self._incr(failures_key, self.window)
        if failures >= self.free:
            seconds = min(self.cap, self.base * 2 ** (failures - self.free))
            await self._clear(lock_key)  # a new lock, not the rest of a racing one
            await self._incr(lock_key, seconds)

    async def succeeded(self, email: str) -> None:
        for key in self._keys(email):
            await self._clear(key)

    async def _clear(self, key: str) -> None:
        s = self.storage
        if isinstance(s, AsyncStorage):
            await s.clear(key)
        else:
            s.clear(key)


def locked(wait: int) -> RateLimitExceeded:
    return RateLimitExceeded(
        problems=[
            Problem(
                f"Too many failed sign-ins for this account; try again in {wait} seconds",
                meta={"class": "login", "retry_after": wait},
            )
        ],
        headers={"Retry-After": str(wait)},
    )
