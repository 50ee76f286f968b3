"""A signed-in user's `preferences.language`, the answer's language when the request sends no
Accept-Language (server.languages asks through `runtime.extras["preferred_language"]`).

Read on the request path, so cached per user for a few seconds (bounded); a preferences
update forgets the user's entry at once, so the next answer already speaks the new language.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import select

from handlers.domain.context import Domain
from handlers.domain.unit import read
from handlers.storage.models import UserPreferences

TTL = 30.0  # seconds an answer is reused (another worker's update is seen within it)
MAX_USERS = 10_000


class PreferredLanguages:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()

    async def __call__(self, subject: str) -> str | None:
        now = time.monotonic()
        hit = self._cache.get(subject)
        if hit is not None and now - hit[0] < TTL:
            return hit[1]
        async with read(self.domain) as session:
            language = await session.scalar(
                select(UserPreferences.language).where(UserPreferences.user_id == subject)
            )
        self._cache[subject] = (now, language)
        self._cache.move_to_end(subject)
        while len(self._cache) > MAX_USERS:
            self._cache.popitem(last=False)
        return language

    def forget(self, user_id: str) -> None:
        self._cache.pop(user_id, None)
