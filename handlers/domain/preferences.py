"""A user's preferences (language, time zone, notification and privacy settings).

A user without a stored row has the defaults, under the id the row gets when first written,
so the id a client saw stays the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound
from handlers.domain.languages import PreferredLanguages
from handlers.domain.unit import read, write
from handlers.storage.models import User, UserPreferences
from handlers.storage.seed import loader

NOTIFICATIONS = {"email": True, "sms": False, "push": True}
PRIVACY = {"profile_visibility": "public", "show_online_status": True}


def preferences_id(user_id: str) -> str:
    """The id of a user's preferences (`pref_` and the user id's letters and digits)."""
    return "pref_" + re.sub(r"[^A-Za-z0-9]", "", user_id)


def defaults(user_id: str) -> UserPreferences:
    return UserPreferences(
        id=preferences_id(user_id),
        user_id=user_id,
        language="en",
        timezone="UTC",
        notifications=dict(NOTIFICATIONS),
        privacy=dict(PRIVACY),
    )


def preferences_resource(p: UserPreferences) -> dict[str, Any]:
    return {
        "id": p.id,
        "type": "user_preferences",
        "attributes": {
            "language": p.language,
            "timezone": p.timezone,
            "notifications": {**NOTIFICATIONS, **(p.notifications or {})},
            "privacy": {**PRIVACY, **(p.privacy or {})},
        },
    }


async def _user_exists(session: AsyncSession, user_id: str, lock: bool = False) -> None:
    """404 for an unknown user; `lock` holds the user's row (writers of one user in turn)."""
    if await session.get(User, user_id, with_for_update=lock) is None:
        raise NotFound(f"No user {user_id}")


class PreferencesService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def get(self, viewer: Caller, user_id: str) -> UserPreferences:
        viewer.require(user_id)
        async with read(self.domain) as session:
            found = await session.scalar(
                select(UserPreferences).where(UserPreferences.user_id == user_id)
            )
            if found is None:
                await _user_exists(session, user_id)
                return defaults(user_id)
            return found

    async def many(self, user_ids: list[str]) -> dict[str, UserPreferences]:
        """Preferences of many users in one query (defaults for those without a row)."""
        async with read(self.domain) as session:
            rows = await session.scalars(
                select(UserPreferences).where(UserPreferences.user_id.in_(user_ids))
            )
            found = {p.user_id: p for p in rows}
        return {uid: found.get(uid) or defaults(uid) for uid in user_ids}

    async def update(
        self, viewer: Caller, user_id: str, changes: Mapping[str, Any]
    ) -> UserPreferences:
        """Language and time zone replace; notifications and privacy merge key by key."""
        viewer.require(user_id)
        async with write(self.domain, actor=viewer.subject, request_id=viewer.request_id) as unit:
            session = unit.session
            await _user_exists(session, user_id, lock=True)
            prefs = await session.scalar(
                select(UserPreferences).where(UserPreferences.user_id == user_id).with_for_update()
            )
            if prefs is None:
                prefs = defaults(user_id)
                prefs.created_at = unit.now
                session.add(prefs)
            for key in ("language", "timezone"):
                if key in changes:
                    setattr(prefs, key, changes[key])
            for key in ("notifications", "privacy"):
                if key in changes:
                    setattr(prefs, key, {**(getattr(prefs, key) or {}), **changes[key]})
            prefs.updated_at = unit.now
            await session.flush()
            fields = sorted(changes)
            unit.audit("user_preferences.update", "user_preferences", prefs.id, fields=fields)
            unit.emit("user_preferences.updated", preferences_resource(prefs), audience={user_id})
        self.domain.get(PreferredLanguages).forget(user_id)  # answers speak it from now on
        return prefs


@loader("user_preferences", order=5)
async def load_preferences(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    user_id = parents.get("user_id")
    if not user_id or await session.get(User, user_id) is None:
        return False
    if await session.get(UserPreferences, record["id"]) is not None:
        return False
    taken = await session.scalar(select(UserPreferences).where(UserPreferences.user_id == user_id))
    if taken is not None:
        return False
    a = record.get("attributes") or {}
    session.add(
        UserPreferences(
            id=record["id"],
            user_id=user_id,
            language=a.get("language") or "en",
            timezone=a.get("timezone") or "UTC",
            notifications=dict(a.get("notifications") or NOTIFICATIONS),
            privacy=dict(a.get("privacy") or PRIVACY),
        )
    )
    await session.flush()
    return True
