"""Stand-ins for what another area's branch provides, so this branch's sandbox works alone.

DELETE AT MERGE: the practitioners' own seed loader (handlers.domain.directory on the
practitioners+bookings branch) replaces this one whatever the import order: theirs is
registered with `@loader` (which overwrites), this one only where none is registered yet.
A health-record share names a practitioner row, so the sandbox's practitioners must exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage.models import Practitioner
from handlers.storage.seed import LOADERS, ORDER


async def load_practitioner_row(
    session: AsyncSession, record: Mapping[str, Any], _: Mapping[str, Any]
) -> bool:
    """The bare practitioner row of a seed record (name, price; no services or schedule)."""
    if await session.get(Practitioner, record["id"]) is not None:
        return False
    a = record.get("attributes") or {}
    price = a.get("price") or {}
    user = ((record.get("relationships") or {}).get("user") or {}).get("data") or {}
    session.add(
        Practitioner(
            id=record["id"],
            user_id=user.get("id"),
            first_name=a.get("first_name", ""),
            last_name=a.get("last_name", ""),
            email=a.get("email"),
            price_amount=int(price.get("amount", 50)),
            price_currency=price.get("currency", "USD"),
        )
    )
    await session.flush()
    return True


if "practitioner" not in LOADERS:
    LOADERS["practitioner"] = load_practitioner_row
    ORDER["practitioner"] = 10
