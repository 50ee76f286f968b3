"""Granting, listing and revoking health-record shares (REST and GraphQL alike).

Every call is audited (actor, action, share, request id); grants and revocations emit
`health_record_share.created` / `.updated` + `.revoked` to the user and the practitioner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text

from handlers.domain.audit import audit_alone, audited
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.jsonapi import parse_time
from handlers.domain.share_resources import audience_of, share_resource, with_status
from handlers.domain.unit import Unit, read, write
from handlers.domain.user_lists import Page, page_ids
from handlers.storage.ids import new_id
from handlers.storage.models import HealthRecordShare, Practitioner
from kkcore.errors import ApiError, Problem
from server.answer_cache import not_cacheable

SharePage = tuple[list[HealthRecordShare], int]
# A share sent without `expires_at` lasts this long (the spec says so; at most a year is allowed).
DEFAULT_SHARE_DAYS = 90
CREATE, REVOKE = "health_record_share.create", "health_record_share.revoke"
audited("revokeHealthRecordShare", REVOKE, "health_record_share", param="share_id")


def one_year_after(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28) + timedelta(days=1)


def _invalid(detail: str, field: str) -> Unprocessable:
    return Unprocessable(problems=[Problem(detail, pointer=f"/data/attributes/{field}")])


async def _lock_user(unit: Unit, user_id: str) -> None:
    """Serialize the share writes of one user (SQLite writers are serialized already)."""
    if unit.domain.db.dialect == "postgresql":
        await unit.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"shares:{user_id}"}
        )


class ShareService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    def now(self) -> datetime:
        not_cacheable()  # active or expired by the clock: such an answer is never kept
        return self.domain.clock()

    async def share(self, viewer: Caller, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """Grant a practitioner access to the caller's records; 409 while one is active."""
        try:
            return await self._share(viewer, attrs)
        except ApiError as e:
            await audit_alone(
                self.domain,
                viewer.subject,
                viewer.request_id,
                CREATE,
                "health_record_share",
                str(attrs.get("practitioner_id")),
                outcome=e.code,
            )
            raise

    async def _share(self, viewer: Caller, attrs: Mapping[str, Any]) -> dict[str, Any]:
        user_id = viewer.subject
        try:
            chosen = attrs.get("expires_at")
            expires = None if chosen is None else parse_time(str(chosen))
        except ValueError as e:
            raise _invalid("Not a date-time", "expires_at") from e
        async with write(self.domain, actor=user_id, request_id=viewer.request_id) as unit:
            now, session = unit.now, unit.session
            expires = expires or now + timedelta(days=DEFAULT_SHARE_DAYS)
            if not now < expires <= one_year_after(now):
                raise _invalid("Must be in the future and at most one year ahead", "expires_at")
            practitioner_id = str(attrs["practitioner_id"])
            if await session.get(Practitioner, practitioner_id) is None:
                raise _invalid(f"No practitioner {practitioner_id}", "practitioner_id")
            await _lock_user(unit, user_id)
            active = await session.scalar(
                select(HealthRecordShare.id).where(
                    HealthRecordShare.user_id == user_id,
                    HealthRecordShare.practitioner_id == practitioner_id,
                    with_status("active", now),
                )
            )
            if active is not None:
                raise ResourceConflict(
                    f"Share {active} with {practitioner_id} is active; revoke it first"
                )
            share = HealthRecordShare(
                id=new_id("health_record_share"),
                user_id=user_id,
                practitioner_id=practitioner_id,
                record_types=list(dict.fromkeys(attrs["record_types"])),
                expires_at=expires,
                status="active",
                created_at=now,
            )
            session.add(share)
            await session.flush()
            document = share_resource(share, now)
            unit.audit(
                CREATE,
                "health_record_share",
                share.id,
                outcome="allowed",
                practitioner_id=practitioner_id,
                record_types=share.record_types,
            )
            unit.emit("health_record_share.created", document, await audience_of(session, share))
        return document

    async def page(self, viewer: Caller, status: str | None, limit: int, offset: int) -> SharePage:
        """Shares the caller granted or (a practitioner) was granted, newest first."""
        s = HealthRecordShare
        mine = or_(s.user_id == viewer.subject, s.practitioner_id.in_(sorted(viewer.ids)))
        where = [mine] if status is None else [mine, with_status(status, self.now())]
        async with read(self.domain) as session:
            total = await session.scalar(select(func.count()).select_from(s).where(*where))
            rows = await session.scalars(
                select(s)
                .where(*where)
                .order_by(s.created_at.desc(), s.id.desc())
                .limit(limit)
                .offset(offset)
            )
            return list(rows), int(total or 0)

    async def granted(
        self, owners: Sequence[str], limit: int, offset: int
    ) -> dict[str, Page[HealthRecordShare]]:
        """The shares each of `owners` granted, newest first (GraphQL's User.healthRecordShares;
        access is the caller's to check)."""
        s = HealthRecordShare
        members = select(
            s.user_id.label("owner"), s.id.label("item"), s.created_at.label("at")
        ).subquery()
        async with read(self.domain) as session:
            pages = await page_ids(session, members, owners, limit, offset)
            ids = {i for p in pages.values() for i in p.items}
            rows = {r.id: r for r in await session.scalars(select(s).where(s.id.in_(ids)))}
        return {o: Page([rows[i] for i in p.items], p.total) for o, p in pages.items()}

    async def get(self, share_id: str) -> HealthRecordShare | None:
        async with read(self.domain) as session:
            return await session.get(HealthRecordShare, share_id)

    async def revoke(self, viewer: Caller, share_id: str) -> None:
        """End a share now (the user's own, or an administrator); revoking twice is a no-op."""
        async with write(self.domain, actor=viewer.subject, request_id=viewer.request_id) as unit:
            session = unit.session
            share = await session.get(HealthRecordShare, share_id, with_for_update=True)
            if share is None or not viewer.may_act_for(share.user_id):
                outcome = "not_found"
            elif share.status == "revoked":
                outcome = "already_revoked"
            else:
                outcome = "allowed"
                share.status, share.revoked_at = "revoked", unit.now
                await session.flush()
                document = share_resource(share, unit.now)
                audience = await audience_of(session, share)
                unit.emit("health_record_share.updated", document, audience)
                unit.emit("health_record_share.revoked", document, audience)
            unit.audit(REVOKE, "health_record_share", share_id, outcome=outcome)
        if outcome == "not_found":
            raise NotFound(f"No health_record_share {share_id}")
