"""Practitioner verification: a practitioner submits credentials (licence and documents), the
submission is `pending` until an administrator verifies or rejects it (with a reason); a
rejected practitioner may submit again. The moves and who may make them are the table of
handlers.domain.verification_rules. Verifying sets the practitioner's `verified` (search
shows only verified practitioners unless asked) and emits `user.verified`.

Shared by REST (handlers/verification.py) and GraphQL (handlers/graphql/verification.py).
Concurrent moves of one practitioner are serialized on the practitioner's row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.errors import NotFound, ResourceConflict, Unprocessable
from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.unit import read, write
from handlers.domain.verification_rules import DECISIONS, check_move, roles_of
from handlers.storage.ids import new_id
from handlers.storage.models import Practitioner, PractitionerVerification, User, utc_now
from handlers.storage.seed import loader
from kkcore.errors import InsufficientPermissions, Problem

STATUS = "/data/attributes/status"


@dataclass(frozen=True)
class State:
    """A practitioner's verification: its state and the latest submission, if any."""

    practitioner: Practitioner
    latest: PractitionerVerification | None

    @property
    def status(self) -> str:
        if self.latest is not None:
            return self.latest.status
        # Listed before the process existed (or seeded): its flag is the whole story.
        return "verified" if self.practitioner.verified else "unverified"


def verification_resource(state: State) -> dict[str, Any]:
    """A practitioner's verification as a JSON:API resource (type `verification`)."""
    p, v = state.practitioner, state.latest
    attributes: dict[str, Any] = {
        "status": state.status,
        "licence": dict(v.licence) if v else None,
        "documents": list(v.documents) if v else [],
        "submitted_at": iso(v.submitted_at) if v else None,
        "reviewed_at": iso(v.reviewed_at) if v else None,
        "rejection_reason": v.rejection_reason if v else None,
    }
    return {
        "id": v.id if v else f"verif_{p.id}",
        "type": "verification",
        "attributes": attributes,
        "relationships": {"practitioner": ref("practitioner", p.id)},
    }


def verified_event(account: User, p: Practitioner, v: PractitionerVerification) -> Any:
    """`user.verified` of a practitioner: their user account (the event's data is a user),
    `user_type: practitioner`, and the decision."""
    return {
        "id": account.id,
        "type": "user",
        "attributes": {
            "email": account.email,
            "first_name": account.first_name or p.first_name,
            "last_name": account.last_name or p.last_name,
            "user_type": "practitioner",
            "verified": True,
            "practitioner_id": p.id,
            "verification": {"id": v.id, "status": v.status, "reviewed_at": iso(v.reviewed_at)},
        },
    }


async def _latest(session: AsyncSession, practitioner_id: str) -> PractitionerVerification | None:
    query = (
        select(PractitionerVerification)
        .where(PractitionerVerification.practitioner_id == practitioner_id)
        .order_by(PractitionerVerification.submitted_at.desc(), PractitionerVerification.id.desc())
        .limit(1)
    )
    return await session.scalar(query)


def _check_licence(licence: dict[str, Any], today: date) -> None:
    expires = licence.get("expires_on")
    pointer = "/data/attributes/licence/expires_on"
    if not expires:
        return
    try:
        day = date.fromisoformat(expires)
    except (TypeError, ValueError) as e:
        raise Unprocessable(problems=[Problem("Not a date (YYYY-MM-DD)", pointer=pointer)]) from e
    if day < today:
        detail = f"The licence expired on {expires}; submit a licence that is still valid"
        raise Unprocessable(problems=[Problem(detail, pointer=pointer)])


class VerificationService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def get(self, viewer: Caller, practitioner_id: str) -> State:
        """The practitioner's verification: for the practitioner and administrators only (it
        holds licence data); anyone else is 403 INSUFFICIENT_PERMISSIONS."""
        async with read(self.domain) as session:
            p = await _practitioner(session, practitioner_id)
            if not _roles(viewer, p):
                raise InsufficientPermissions(
                    "A verification is read by its practitioner or an administrator"
                )
            return State(p, await _latest(session, p.id))

    async def submit(self, viewer: Caller, practitioner_id: str, attrs: dict[str, Any]) -> State:
        """Submit credentials: a new `pending` submission (from unverified or rejected)."""
        async with self._unit(viewer) as u:
            state = await self._locked(u.session, practitioner_id)
            p = state.practitioner
            check_move(state.status, "pending", _roles(viewer, p), STATUS)
            _check_licence(attrs["licence"], u.now.date())
            v = PractitionerVerification(
                id=new_id("verification"),
                practitioner_id=p.id,
                status="pending",
                licence=dict(attrs["licence"]),
                documents=list(attrs.get("documents") or []),
                submitted_by=viewer.subject,
                submitted_at=u.now,
            )
            u.session.add(v)
            await u.session.flush()
            u.audit("practitioner.verification_submitted", "practitioner", p.id, verification=v.id)
            return State(p, v)

    async def review(
        self, viewer: Caller, practitioner_id: str, decision: str, reason: str | None
    ) -> State:
        """An administrator's decision on the pending submission: `verified` (emits
        `user.verified`) or `rejected` (a reason is required, the practitioner sees it)."""
        if decision not in DECISIONS:
            problem = Problem("status must be verified or rejected", pointer=STATUS)
            raise Unprocessable(problems=[problem])
        if decision == "rejected" and not (reason or "").strip():
            problem = Problem(
                "A rejection needs a reason the practitioner can act on",
                pointer="/data/attributes/rejection_reason",
            )
            raise Unprocessable(problems=[problem])
        async with self._unit(viewer) as u:
            state = await self._locked(u.session, practitioner_id)
            p, v = state.practitioner, state.latest
            check_move(state.status, decision, _roles(viewer, p), STATUS)
            if v is None:  # (unreachable: check_move decides only on a pending submission)
                raise ResourceConflict("Nothing is pending review")
            v.status, v.reviewed_by, v.reviewed_at = decision, viewer.subject, u.now
            v.rejection_reason = reason.strip() if decision == "rejected" and reason else None
            p.verified, p.updated_at = decision == "verified", u.now
            await u.session.flush()
            u.audit(f"practitioner.{decision}", "practitioner", p.id, verification=v.id)
            account = await u.session.get(User, p.user_id) if p.user_id else None
            if decision == "verified" and account is not None:
                # (The event's data is a user: a practitioner without an account gets none.)
                event = verified_event(account, p, v)
                u.emit("user.verified", event, audience={p.id, account.id})
            return State(p, v)

    def _unit(self, viewer: Caller) -> Any:
        return write(self.domain, actor=viewer.subject, request_id=viewer.request_id)

    async def _locked(self, session: AsyncSession, practitioner_id: str) -> State:
        p = await session.get(Practitioner, practitioner_id, with_for_update=True)
        if p is None:
            raise NotFound(f"No practitioner {practitioner_id}")
        return State(p, await _latest(session, p.id))


@loader("verification", order=30)
async def load_verification(
    session: AsyncSession, record: Mapping[str, Any], _: Mapping[str, Any]
) -> bool:
    """A seeded submission (the spec's example: a practitioner waiting for review)."""
    a = record.get("attributes") or {}
    rel = ((record.get("relationships") or {}).get("practitioner") or {}).get("data") or {}
    pid = rel.get("id")
    known = await session.get(PractitionerVerification, record["id"])
    if known is not None or not pid or await session.get(Practitioner, pid) is None:
        return False
    submitted = parse_time(a["submitted_at"]) if a.get("submitted_at") else utc_now()
    session.add(
        PractitionerVerification(
            id=record["id"],
            practitioner_id=pid,
            status=a.get("status") or "pending",
            licence=dict(a.get("licence") or {}),
            documents=list(a.get("documents") or []),
            submitted_by=pid,
            submitted_at=submitted,
            reviewed_at=parse_time(a["reviewed_at"]) if a.get("reviewed_at") else None,
            rejection_reason=a.get("rejection_reason"),
        )
    )
    await session.flush()
    return True


def _roles(viewer: Caller, p: Practitioner) -> frozenset[str]:
    return roles_of(p.id, p.user_id, viewer.ids, viewer.admin)


async def _practitioner(session: AsyncSession, practitioner_id: str) -> Practitioner:
    p = await session.get(Practitioner, practitioner_id)
    if p is None:
        raise NotFound(f"No practitioner {practitioner_id}")
    return p
