"""Users as rows and as JSON:API resources, and the service that reads and changes a profile
(the sandbox's test users are seeded from the spec's examples)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.email_change import Pending, apply_change, request_change
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.jsonapi import iso, parse_date, parse_time, ref
from handlers.domain.unit import read, write
from handlers.storage.models import HealthProfile, User, UserPreferences
from handlers.storage.seed import loader
from kkcore.errors import Problem

# Attributes of a user that `updateUser` may change.
EDITABLE = ("email", "first_name", "last_name", "date_of_birth", "phone_number", "address")
Related = dict[str, tuple[str | None, str | None]]


def user_resource(
    user: User, preferences_id: str | None = None, health_profile_id: str | None = None
) -> dict[str, Any]:
    relationships = {}
    if health_profile_id:
        relationships["health_profile"] = ref("health_profile", health_profile_id)
    if preferences_id:
        relationships["preferences"] = ref("user_preferences", preferences_id)
    resource: dict[str, Any] = {
        "id": user.id,
        "type": "user",
        "attributes": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else None,
            "phone_number": user.phone_number,
            "address": user.address,
            "user_type": user.user_type,
            "verified": user.verified,
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
        },
    }
    if relationships:
        resource["relationships"] = relationships
    return resource


async def related_ids(session: AsyncSession, user_ids: Sequence[str]) -> Related:
    """user id -> (preferences id, health profile id), two queries for any number of users."""
    found: Related = {uid: (None, None) for uid in user_ids}
    prefs = await session.execute(
        select(UserPreferences.user_id, UserPreferences.id).where(
            UserPreferences.user_id.in_(user_ids)
        )
    )
    for uid, pid in prefs:
        found[uid] = (pid, found[uid][1])
    health = await session.execute(
        select(HealthProfile.user_id, HealthProfile.id).where(HealthProfile.user_id.in_(user_ids))
    )
    for uid, hid in health:
        found[uid] = (found[uid][0], hid)
    return found


def _date(value: Any) -> date | None:
    try:
        return parse_date(value)
    except ValueError as e:
        problem = Problem("Not a date (YYYY-MM-DD)", pointer="/data/attributes/date_of_birth")
        raise Unprocessable(problems=[problem]) from e


class UserService:
    """Read and change user profiles (object-level access: the user or an administrator)."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def get(self, viewer: Caller, user_id: str) -> dict[str, Any]:
        viewer.require(user_id)
        async with read(self.domain) as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound(f"No user {user_id}")
            return user_resource(user, *(await related_ids(session, [user_id]))[user_id])

    async def many(self, user_ids: Sequence[str]) -> dict[str, User]:
        """Users by id in one query (GraphQL batch loads; access is the caller's to check)."""
        async with read(self.domain) as session:
            rows = await session.scalars(select(User).where(User.id.in_(list(user_ids))))
            return {u.id: u for u in rows}

    async def update(
        self, viewer: Caller, user_id: str, changes: Mapping[str, Any]
    ) -> tuple[dict[str, Any], Pending | None]:
        """Change the sent attributes (user.updated); a new email address only becomes
        pending until verified (handlers.domain.email_change), whoever else uses it."""
        viewer.require(user_id)
        async with write(self.domain, actor=viewer.subject, request_id=viewer.request_id) as unit:
            session = unit.session
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"No user {user_id}")
            changed = [k for k in EDITABLE if k in changes and k != "email"]
            pending = None
            if "email" in changes and changes["email"].lower() != user.email.lower():
                pending = await request_change(self.domain, unit, user, changes["email"])
            for key in changed:
                value = changes[key]
                setattr(user, key, _date(value) if key == "date_of_birth" else value)
            user.updated_at = unit.now
            await session.flush()
            document = user_resource(user, *(await related_ids(session, [user_id]))[user_id])
            unit.audit("user.update", "user", user_id, fields=changed)
            unit.emit("user.updated", document, audience={user_id})
        return document, pending

    async def verify_email(self, viewer: Caller, user_id: str, token: str) -> dict[str, Any]:
        """Make the pending email address the user's (user.verified, user.updated)."""
        viewer.require(user_id)
        async with write(self.domain, actor=viewer.subject, request_id=viewer.request_id) as unit:
            session = unit.session
            user = await session.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"No user {user_id}")
            await apply_change(session, user, token, unit.now)
            try:
                await session.flush()
            except IntegrityError as e:  # a concurrent change took the address first
                problem = Problem("Another account uses this address now", pointer="/data")
                raise ResourceConflict(problems=[problem]) from e
            document = user_resource(user, *(await related_ids(session, [user_id]))[user_id])
            unit.audit("user.email_verified", "user", user_id)
            unit.emit("user.verified", document, audience={user_id})
            unit.emit("user.updated", document, audience={user_id})
        return document


@loader("user", order=0)
async def load_user(session: AsyncSession, record: Mapping[str, Any], _: Mapping[str, Any]) -> bool:
    if await session.get(User, record["id"]) is not None:
        return False
    a = record.get("attributes") or {}
    created = parse_time(a["created_at"]) if a.get("created_at") else None
    session.add(
        User(
            id=record["id"],
            email=a.get("email") or f"{record['id']}@users.klearkarma.invalid",
            first_name=a.get("first_name") or "",
            last_name=a.get("last_name") or "",
            date_of_birth=parse_date(a.get("date_of_birth")),
            phone_number=a.get("phone_number"),
            address=a.get("address"),
            user_type=a.get("user_type") or "patient",
            verified=bool(a.get("verified", False)),
            **({"created_at": created} if created else {}),
            **({"updated_at": parse_time(a["updated_at"])} if a.get("updated_at") else {}),
        )
    )
    await session.flush()
    return True
