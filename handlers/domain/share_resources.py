"""Health-record shares: a user's consent for a practitioner to read parts of their health
profile until it expires or is revoked.

A share is valid while its status is `active`, it is not revoked and `expires_at` is still
ahead; the stored status stays `active` after expiry and is shown (and filtered) as `expired`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.ownership import owns
from handlers.storage.models import HealthRecordShare, Practitioner
from handlers.storage.seed import loader

RECORD_TYPES = ("conditions", "allergies", "medications", "goals", "emergency_contact")


def status_of(share: HealthRecordShare, now: datetime) -> str:
    if share.status == "active" and share.revoked_at is None and share.expires_at <= now:
        return "expired"
    return share.status


def with_status(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL: the shares whose shown status (`status_of`) is `status`."""
    s = HealthRecordShare
    live = and_(s.status == "active", s.revoked_at.is_(None))
    if status == "active":
        return and_(live, s.expires_at > now)
    if status == "expired":
        return or_(s.status == "expired", and_(live, s.expires_at <= now))
    return s.status == status


def share_resource(share: HealthRecordShare, now: datetime) -> dict[str, Any]:
    return {
        "id": share.id,
        "type": "health_record_share",
        "attributes": {
            "practitioner_id": share.practitioner_id,
            "record_types": list(share.record_types),
            "expires_at": iso(share.expires_at),
            "status": status_of(share, now),
            "created_at": iso(share.created_at),
            "revoked_at": iso(share.revoked_at),
        },
        "relationships": {
            "practitioner": ref("practitioner", share.practitioner_id),
            "user": ref("user", share.user_id),
        },
    }


async def shared_types(
    session: AsyncSession, user_id: str, grantees: Iterable[str], now: datetime
) -> frozenset[str]:
    """The record types of `user_id` that any of `grantees` may read at `now`."""
    rows = await session.scalars(
        select(HealthRecordShare.record_types).where(
            HealthRecordShare.user_id == user_id,
            HealthRecordShare.practitioner_id.in_(list(grantees)),
            with_status("active", now),
        )
    )
    return frozenset(t for types in rows for t in types)


async def audience_of(session: AsyncSession, share: HealthRecordShare) -> set[str]:
    """Who hears of a share: its user, the practitioner and the practitioner's account."""
    practitioner = await session.get(Practitioner, share.practitioner_id)
    linked = {practitioner.user_id} if practitioner is not None and practitioner.user_id else set()
    return {share.user_id, share.practitioner_id, *linked}


@owns("health_record_share")
async def share_owners(session: AsyncSession, share_id: str) -> frozenset[str] | None:
    """Only the user who granted a share may revoke it."""
    share = await session.get(HealthRecordShare, share_id)
    return None if share is None else frozenset({share.user_id})


def _related(record: Mapping[str, Any], name: str) -> str | None:
    data = ((record.get("relationships") or {}).get(name) or {}).get("data") or {}
    return str(data["id"]) if data.get("id") else None


@loader("health_record_share", order=30)
async def load_share(
    session: AsyncSession, record: Mapping[str, Any], parents: Mapping[str, Any]
) -> bool:
    """The spec's example shares (their user is `user_123` where the example names none)."""
    a = record.get("attributes") or {}
    practitioner_id = a.get("practitioner_id") or _related(record, "practitioner")
    if not practitioner_id or await session.get(Practitioner, practitioner_id) is None:
        return False
    if await session.get(HealthRecordShare, record["id"]) is not None:
        return False
    created = parse_time(a.get("created_at") or "2024-01-01T00:00:00Z")
    session.add(
        HealthRecordShare(
            id=record["id"],
            user_id=_related(record, "user") or parents.get("user_id") or "user_123",
            practitioner_id=practitioner_id,
            record_types=[t for t in a.get("record_types") or () if t in RECORD_TYPES],
            expires_at=parse_time(a.get("expires_at") or "2024-12-31T23:59:59Z"),
            status=a.get("status") or "active",
            created_at=created,
            revoked_at=parse_time(a["revoked_at"]) if a.get("revoked_at") else None,
        )
    )
    await session.flush()
    return True
