"""What a webhook worker knows of the events its own process published (handlers.domain.unit).

`sent`: the event went on the bus; its `published_at` is set in the worker's next dispatch
round, one statement for every event published since (it was a second transaction per
write). A round that fails gives them back for the next one; `sent` drains every round.

(That a handler's event is in the outbox already, so the worker's bus bridge need not adopt
its bus copy, the event itself says: `server.events.Event.stored`, for every worker's.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.storage.models import OutboxEvent, Webhook, WebhookDelivery

_OUTBOX = cast(Table, OutboxEvent.__table__)
_HOOK = cast(Table, Webhook.__table__)
MARK = (  # (also run by the worker's round on a sync connection: handlers.domain.delivery)
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.published_at.is_(None))
    .values(published_at=bindparam("at"))
)
# The worker's dispatch round (handlers.domain.delivery): its new events as rows of what
# planning reads, marked dispatched in one UPDATE (the ORM batch and its flush were ~20 % of
# the sandbox's GIL time under wrk -c32 POSTs), its webhooks, its new deliveries.
WAITING = (
    select(_OUTBOX.c.id, _OUTBOX.c.type, _OUTBOX.c.audience, _OUTBOX.c.created_at)
    .where(_OUTBOX.c.dispatched_at.is_(None))
    .order_by(_OUTBOX.c.created_at, _OUTBOX.c.id)
    .limit(100)
)
HOOKS = select(_HOOK.c.id, _HOOK.c.events, _HOOK.c.owner_grant).where(_HOOK.c.active.is_(True))
PENDING = insert(cast(Table, WebhookDelivery.__table__)).inline()
DISPATCHED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(dispatched_at=bindparam("at", type_=_OUTBOX.c.dispatched_at.type))
)


class OutboxMarks:
    """`handlers.domain.context.PublishMarks` of one worker (wakes it when there is work)."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._sent: list[str] = []

    def sent(self, event_ids: list[str]) -> None:
        self._sent.extend(event_ids)
        self._wake()

    @property
    def pending(self) -> bool:
        return bool(self._sent)

    def take(self) -> list[str]:
        taken, self._sent = self._sent, []
        return taken

    def give_back(self, event_ids: list[str]) -> None:
        self._sent[:0] = event_ids

    async def mark(self, session: AsyncSession, event_ids: list[str], at: datetime) -> None:
        """Set the published mark of `event_ids` in the caller's transaction."""
        if event_ids:
            await session.execute(MARK, {"ids": event_ids, "at": at})
