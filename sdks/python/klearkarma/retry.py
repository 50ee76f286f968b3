"""Automatic retries: a 429 (or a 503 that says when to come back) is retried after the
server's Retry-After, a bounded number of times and never for longer than `max_delay`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 503})


def retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait according to `Retry-After` (delta-seconds or an HTTP date)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait. `sleep` is replaceable for tests."""

    max_retries: int = 2
    max_delay: float = 60.0  # a longer Retry-After raises RateLimitError at once
    backoff: float = 0.5  # without Retry-After: backoff * 2**attempt seconds
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)

    def delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds before attempt `attempt + 1`, or None when the answer is final."""
        if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
            return None
        wait = retry_after(response)
        if wait is None:
            if response.status_code == 503:
                return None  # only a 503 that says when to come back is retried
            wait = self.backoff * 2**attempt
        return wait if wait <= self.max_delay else None


NO_RETRIES = RetryPolicy(max_retries=0)
