"""Changing a user's email address: it takes effect only once its owner proves they read
mail there (updateUser, then verifyUserEmail with the token).

updateUser with a new address answers 200 whether or not another account uses it (no
"taken" oracle), keeps the old address (and `verified`) and records the new one as pending
with a token valid for 24 hours; a later change replaces it. The token goes to the new
address: `kk sandbox` shows it in the answer's `meta.email_verification.token` (a
development aid, documented); other modes write the mail as a file under
`<data dir>/mail/` (mode 0600) for a mail relay to pick up. Only its SHA-256 is stored.

verifyUserEmail with the token makes the address the account's (`verified: true`,
`user.verified` and `user.updated`); a wrong, used or expired token is 422, an address that
another account took meanwhile 409 (only the address's owner holds a token, so this tells
them nothing they could not learn by signing in).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.context import Domain
from handlers.domain.errors import ResourceConflict, Unprocessable
from handlers.domain.unit import Unit
from handlers.storage.models import EmailChange, User
from kkcore.errors import Problem

TTL = timedelta(hours=24)
SENDER = "no-reply@klearkarma.com"


@dataclass(frozen=True)
class Pending:
    """An email change waiting for verification; `token` is shown only by the sandbox."""

    email: str
    expires_at: datetime
    token: str | None = None

    def meta(self) -> dict[str, object]:
        shown: dict[str, object] = {
            "pending_email": self.email,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
        }
        if self.token is not None:
            shown["token"] = self.token
        return shown


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def request_change(domain: Domain, unit: Unit, user: User, email: str) -> Pending:
    """Record `email` as the user's pending address and send it a verification token."""
    token = secrets.token_urlsafe(32)
    expires = unit.now + TTL
    row = await unit.session.get(EmailChange, user.id, with_for_update=True)
    if row is None:
        row = EmailChange(user_id=user.id)
        unit.session.add(row)
    row.email, row.token_sha256 = email, digest(token)
    row.expires_at, row.created_at = expires, unit.now
    unit.audit("user.email_change_requested", "user", user.id)
    if domain.mode == "sandbox":
        return Pending(email, expires, token)
    write_mail(domain.data_dir / "mail", user, email, token, expires)
    return Pending(email, expires)


def write_mail(folder: Path, user: User, email: str, token: str, expires: datetime) -> Path:
    """The verification mail as an RFC 5322 file only its owner can read."""
    message = EmailMessage()
    message["From"], message["To"] = SENDER, email
    message["Subject"] = "Confirm your new Klear Karma email address"
    message.set_content(
        f"Hello {user.first_name},\n\nto make {email} your account's address, send this "
        f"token to POST /v1/users/{user.id}/email/verify before {expires.isoformat()}:\n\n"
        f"{token}\n\nIf you did not ask for this, ignore this mail.\n"
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{user.id}-{secrets.token_hex(8)}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(bytes(message))
    return path


def _invalid() -> Unprocessable:
    return Unprocessable(
        problems=[
            Problem(
                "This token does not verify a pending email change (wrong, used or expired): "
                "change the email again for a new one",
                pointer="/data/attributes/token",
                meta={"field": "token", "validation_rule": "token"},
            )
        ]
    )


async def apply_change(session: AsyncSession, user: User, token: str, now: datetime) -> None:
    """Make the pending address the user's; 422 for a bad token, 409 if it was taken."""
    row = await session.get(EmailChange, user.id, with_for_update=True)
    if row is None or row.expires_at <= now:
        raise _invalid()
    if not hmac.compare_digest(digest(token), row.token_sha256):
        raise _invalid()
    taken = await session.scalar(
        select(func.count())
        .select_from(User)
        .where(func.lower(User.email) == row.email.lower(), User.id != user.id)
    )
    if taken:
        raise ResourceConflict(
            problems=[
                Problem("Another account uses this address now", pointer="/data/attributes/token")
            ]
        )
    user.email, user.verified, user.updated_at = row.email, True, now
    await session.delete(row)
