"""Users as rows and as JSON:API resources (the sandbox's test users are seeded from them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.jsonapi import iso, parse_date, parse_time
from handlers.storage.models import User
from handlers.storage.seed import loader


def user_resource(user: User) -> dict[str, Any]:
    return {
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
