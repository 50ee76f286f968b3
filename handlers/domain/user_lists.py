"""A user's bookings, payments and conversations: read-only queries over the tables the
bookings, payments and messaging services write.

Each list is a "membership" of (owner, item id, sort time) rows; a page for any number of
owners takes three queries (counts, ids by row number per owner, the rows), so GraphQL's
nested lists batch the same way REST pages one user. Order: newest first, ties by id.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.booking_resources import booking_resource
from handlers.domain.context import Domain
from handlers.domain.message_resources import listed_conversation
from handlers.domain.payment_resources import intent_resource
from handlers.domain.unit import read
from handlers.storage.models import (
    Booking,
    Conversation,
    ConversationParticipant,
    Message,
    PaymentIntent,
    Practitioner,
)

T = TypeVar("T")
BOOKING = tuple(Booking.__table__.c)


@dataclass
class Page(Generic[T]):
    items: list[T] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class BookingFilter:
    status: str | None = None
    start: date | None = None  # scheduled on or after this day (UTC)
    end: date | None = None  # scheduled on or before this day (UTC), the whole day


def _day(d: date) -> datetime:
    return datetime.combine(d, time(), UTC)


@functools.lru_cache(maxsize=64)
def booking_members(f: BookingFilter) -> Subquery:
    b, p = Booking, Practitioner
    where: list[ColumnElement[bool]] = []
    if f.status:
        where.append(b.status == f.status)
    if f.start:
        where.append(b.scheduled_at >= _day(f.start))
    if f.end and f.end < date.max:
        where.append(b.scheduled_at < _day(f.end + timedelta(days=1)))
    as_user = select(b.user_id.label("owner"), b.id.label("item"), b.scheduled_at.label("at"))
    as_practitioner = select(p.user_id, b.id, b.scheduled_at).join(p, p.id == b.practitioner_id)
    return union(
        as_user.where(*where), as_practitioner.where(p.user_id.is_not(None), *where)
    ).subquery()


@functools.cache
def payment_members() -> Subquery:
    p = PaymentIntent
    return select(p.user_id.label("owner"), p.id.label("item"), p.created_at.label("at")).subquery()


@functools.cache
def conversation_members() -> Subquery:
    c, cp = Conversation, ConversationParticipant
    at = func.coalesce(c.last_message_at, c.created_at)
    return (
        select(cp.participant_id.label("owner"), c.id.label("item"), at.label("at"))
        .join(c, c.id == cp.conversation_id)
        .subquery()
    )


@functools.lru_cache(maxsize=64)
def _page_queries(members: Subquery) -> tuple[Select[Any], Select[Any]]:
    """The count and page statements over a membership, built once (parameters: owners,
    offset, upto): building a statement costs more than running it on SQLite."""
    m = members.c
    owners: BindParameter[str] = bindparam("owners", expanding=True)
    counts = select(m.owner, func.count()).where(m.owner.in_(owners)).group_by(m.owner)
    rank = func.row_number().over(partition_by=m.owner, order_by=(m.at.desc(), m.item.desc()))
    inner = select(m.owner, m.item, rank.label("rank")).where(m.owner.in_(owners)).subquery()
    page = (
        select(inner.c.owner, inner.c.item)
        .where(inner.c.rank > bindparam("offset"), inner.c.rank <= bindparam("upto"))
        .order_by(inner.c.owner, inner.c.rank)
    )
    return counts, page


async def page_ids(
    session: AsyncSession, members: Subquery, owners: Sequence[str], limit: int, offset: int
) -> dict[str, Page[str]]:
    """Per owner: the total and the item ids of one page (newest first, ties by id)."""
    pages: dict[str, Page[str]] = {o: Page() for o in owners}
    counting, paging = _page_queries(members)
    conn = await session.connection()
    counts = await conn.execute(counting, {"owners": list(owners)})
    for owner, total in counts:
        pages[owner].total = int(total)
    values = {"owners": list(owners), "offset": offset, "upto": offset + limit}
    rows = await conn.execute(paging, values)
    for owner, item in rows:
        pages[owner].items.append(item)
    return pages


async def _rows(session: AsyncSession, query: Select[Any], ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    return {row.id: row for row in await session.scalars(query)}


async def _core_rows(session: AsyncSession, query: Select[Any], ids: set[str]) -> dict[str, Any]:
    """Rows by id as Core rows (attribute access like the model's, no ORM instances)."""
    if not ids:
        return {}
    conn = await session.connection()
    return {row.id: row for row in await conn.execute(query)}


class UserLists:
    """The lists under /users/{user_id}: the user themself or an administrator."""

    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def bookings(
        self, owners: Sequence[str], f: BookingFilter, limit: int, offset: int
    ) -> dict[str, Page[dict[str, Any]]]:
        async with read(self.domain) as session:
            pages = await page_ids(session, booking_members(f), owners, limit, offset)
            ids = {i for p in pages.values() for i in p.items}
            rows = await _core_rows(session, select(*BOOKING).where(Booking.id.in_(ids)), ids)
            now = self.domain.clock()
            return _render(pages, lambda i: booking_resource(rows[i], now))

    async def payments(
        self, owners: Sequence[str], limit: int, offset: int
    ) -> dict[str, Page[dict[str, Any]]]:
        async with read(self.domain) as session:
            pages = await page_ids(session, payment_members(), owners, limit, offset)
            ids = {i for p in pages.values() for i in p.items}
            query = select(PaymentIntent).where(PaymentIntent.id.in_(ids))
            rows = await _rows(session, query, ids)
            return _render(pages, lambda i: intent_resource(rows[i]))

    async def conversations(
        self, owners: Sequence[str], limit: int, offset: int
    ) -> dict[str, Page[dict[str, Any]]]:
        async with read(self.domain) as session:
            pages = await page_ids(session, conversation_members(), owners, limit, offset)
            ids = {i for p in pages.values() for i in p.items}
            query = select(Conversation).where(Conversation.id.in_(ids))
            rows = await _rows(session, query, ids)
            people = await _participants(session, ids)
            unread = await _unread(session, ids, owners)
            out: dict[str, Page[dict[str, Any]]] = {}
            for owner, page in pages.items():
                items = [
                    listed_conversation(rows[i], unread.get((i, owner), 0), people.get(i, []))
                    for i in page.items
                ]
                out[owner] = Page(items, page.total)
            return out


def _render(pages: dict[str, Page[str]], render: Any) -> dict[str, Page[dict[str, Any]]]:
    return {o: Page([render(i) for i in p.items], p.total) for o, p in pages.items()}


async def _participants(session: AsyncSession, ids: set[str]) -> dict[str, list[tuple[str, str]]]:
    cp = ConversationParticipant
    found: dict[str, list[tuple[str, str]]] = {}
    if ids:
        rows = await session.execute(
            select(cp.conversation_id, cp.participant_id, cp.participant_type).where(
                cp.conversation_id.in_(ids)
            )
        )
        for conv, pid, kind in rows:
            found.setdefault(conv, []).append((pid, kind))
    for people in found.values():
        people.sort(key=lambda p: (p[1] != "user", p[0]))
    return found


async def _unread(
    session: AsyncSession, ids: set[str], owners: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(conversation, participant) -> messages from others after the participant last read."""
    if not ids:
        return {}
    cp, msg = ConversationParticipant, Message
    newer = or_(cp.last_read_at.is_(None), msg.created_at > cp.last_read_at)
    rows = await session.execute(
        select(cp.conversation_id, cp.participant_id, func.count(msg.id))
        .join(
            msg,
            and_(
                msg.conversation_id == cp.conversation_id,
                msg.sender_id != cp.participant_id,
                msg.read_at.is_(None),
                newer,
            ),
        )
        .where(cp.conversation_id.in_(ids), cp.participant_id.in_(list(owners)))
        .group_by(cp.conversation_id, cp.participant_id)
    )
    return {(conv, pid): int(n) for conv, pid, n in rows}
