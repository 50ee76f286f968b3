"""Health profiles: read by their user (or an administrator) in full, by a practitioner only
the record types of a valid share; every access, allowed or denied, audited.

Audit entries name the profile by its user (`health_profile`, user id), so one user's
profile has one trail whether or not its row exists yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.audit import audit_alone, audited
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.share_resources import RECORD_TYPES, shared_types
from handlers.domain.unit import write
from handlers.storage.models import HealthProfile, User
from handlers.storage.seed import loader
from kkcore.errors import ApiError, InsufficientPermissions

LISTS = ("conditions", "allergies", "medications", "goals")
READ, UPDATE = "health_profile.read", "health_profile.update"
audited("getHealthProfile", READ, "health_profile", param="user_id")
audited("updateHealthProfile", UPDATE, "health_profile", param="user_id")


def profile_id(user_id: str) -> str:
    return "health_" + re.sub(r"[^A-Za-z0-9]", "", user_id)


def empty_profile(user_id: str) -> HealthProfile:
    return HealthProfile(
        id=profile_id(user_id),
        user_id=user_id,
        conditions=[],
        allergies=[],
        medications=[],
        goals=[],
        emergency_contact=None,
    )


def health_resource(p: HealthProfile, visible: frozenset[str] | None = None) -> dict[str, Any]:
    """The profile; with `visible`, only those record types (the others empty)."""
    shown = frozenset(RECORD_TYPES) if visible is None else visible
    attributes: dict[str, Any] = {
        name: list(getattr(p, name) or []) if name in shown else [] for name in LISTS
    }
    attributes["emergency_contact"] = p.emergency_contact if "emergency_contact" in shown else None
    if p.updated_at is not None:
        attributes["updated_at"] = iso(p.updated_at)
    return {
        "id": p.id,
        "type": "health_profile",
        "attributes": attributes,
        "relationships": {"user": ref("user", p.user_id)},
    }


async def _profile(session: AsyncSession, user_id: str, lock: bool = False) -> HealthProfile:
    """The user's profile (empty if none is stored); `lock` holds the user's row first, so
    two first writes of one profile take turns instead of colliding."""
    if lock and await session.get(User, user_id, with_for_update=True) is None:
        raise NotFound(f"No user {user_id}")
    found = await session.scalar(select(HealthProfile).where(HealthProfile.user_id == user_id))
    if found is not None:
        return found
    if not lock and await session.get(User, user_id) is None:
        raise NotFound(f"No user {user_id}")
    return empty_profile(user_id)


class HealthService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def get(self, viewer: Caller, user_id: str) -> dict[str, Any]:
        """The profile as the viewer may see it; 403 without a valid share (audited)."""
        try:
            async with write(
                self.domain, actor=viewer.subject, request_id=viewer.request_id
            ) as unit:
                visible: frozenset[str] | None = None
                if not viewer.may_act_for(user_id):
                    visible = await shared_types(unit.session, user_id, viewer.ids, unit.now)
                outcome = "allowed" if visible is None or visible else "denied"
                unit.audit(
                    READ,
                    "health_profile",
                    user_id,
                    outcome=outcome,
                    record_types=sorted(RECORD_TYPES if visible is None else visible),
                )
                if outcome == "allowed":
                    return health_resource(await _profile(unit.session, user_id), visible)
        except ApiError as e:
            await audit_alone(
                self.domain,
                viewer.subject,
                viewer.request_id,
                READ,
                "health_profile",
                user_id,
                outcome=e.code,
            )
            raise
        raise InsufficientPermissions(f"No valid health record share of {user_id} names you")

    async def update(
        self, viewer: Caller, user_id: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Replace the sent record types (the user or an administrator only)."""
        try:
            viewer.require(user_id)
            async with write(
                self.domain, actor=viewer.subject, request_id=viewer.request_id
            ) as unit:
                profile = await _profile(unit.session, user_id, lock=True)
                if profile not in unit.session:
                    profile.created_at = unit.now
                    unit.session.add(profile)
                for name in (*LISTS, "emergency_contact"):
                    if name in changes:
                        setattr(profile, name, changes[name])
                profile.updated_at = unit.now
                await unit.session.flush()
                document = health_resource(profile)
                unit.audit(
                    UPDATE, "health_profile", user_id, outcome="allowed", fields=sorted(changes)
                )
                unit.emit("health_profile.updated", document, audience={user_id})
                return document
        except ApiError as e:
            await audit_alone(
                self.domain,
                viewer.subject,
                viewer.request_id,
                UPDATE,
                "health_profile",
                user_id,
                outcome=e.code,
            )
            raise


@loader("health_profile", order=5)
async def load_profile(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    user_id = parents.get("user_id")
    if not user_id or await session.get(User, user_id) is None:
        return False
    if await session.get(HealthProfile, record["id"]) is not None:
        return False
    if await session.scalar(select(HealthProfile.id).where(HealthProfile.user_id == user_id)):
        return False
    a = record.get("attributes") or {}
    updated = parse_time(a["updated_at"]) if a.get("updated_at") else None
    session.add(
        HealthProfile(
            id=record["id"],
            user_id=user_id,
            **{name: list(a.get(name) or []) for name in LISTS},
            emergency_contact=a.get("emergency_contact"),
            **({"updated_at": updated, "created_at": updated} if updated else {}),
        )
    )
    await session.flush()
    return True
