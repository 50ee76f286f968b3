"""Reads of conversations for GraphQL, by batches of ids (one query per batch): rows by id,
people, latest messages, unread counts, and keyset pages of messages, newest first (of a
conversation, or sent by each of a batch of users)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from handlers.domain.context import Domain
from handlers.domain.jsonapi import iso, parse_time
from handlers.domain.message_resources import participants
from handlers.domain.unit import read
from handlers.storage.models import Attachment, Conversation, Message, User


def cursor(m: Message) -> str:
    return base64.urlsafe_b64encode(f"{iso(m.created_at)}|{m.id}".encode()).decode()


def uncursor(text: str) -> tuple[Any, str] | None:
    """The position a cursor names; None for anything this module did not make (a client's
    invention must not reach the database: PostgreSQL refuses NUL in text)."""
    try:
        at, _, mid = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        if not mid or "\x00" in mid:
            return None
        return parse_time(at), mid
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None


def before(position: tuple[Any, str] | None) -> list[ColumnElement[bool]]:
    """Messages strictly after `position` in newest-first order (none when no cursor)."""
    if position is None:
        return []
    at, mid = position
    return [or_(Message.created_at < at, and_(Message.created_at == at, Message.id < mid))]


class ConversationReads:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def by_id(self, model: Any, ids: Sequence[str]) -> dict[str, Any]:
        async with read(self.domain) as session:
            rows = await session.scalars(select(model).where(model.id.in_(list(ids))))
            return {r.id: r for r in rows}

    async def conversations(self, ids: Sequence[str]) -> dict[str, Conversation]:
        return await self.by_id(Conversation, ids)

    async def messages(self, ids: Sequence[str]) -> dict[str, Message]:
        return await self.by_id(Message, ids)

    async def files(self, ids: Sequence[str]) -> dict[str, Attachment]:
        return await self.by_id(Attachment, ids)

    async def users(self, ids: Sequence[str]) -> dict[str, User]:
        return await self.by_id(User, ids)

    async def people(self, ids: Sequence[str]) -> dict[str, set[str]]:
        async with read(self.domain) as session:
            return await participants(session, ids)

    async def latest(self, ids: Sequence[str]) -> dict[str, Message]:
        """Each conversation's latest message."""
        async with read(self.domain) as session:
            newest = (
                select(Message.conversation_id, func.max(Message.created_at).label("at"))
                .where(Message.conversation_id.in_(list(ids)))
                .group_by(Message.conversation_id)
                .subquery()
            )
            rows = await session.scalars(
                select(Message).join(
                    newest,
                    and_(
                        Message.conversation_id == newest.c.conversation_id,
                        Message.created_at == newest.c.at,
                    ),
                )
            )
            return {m.conversation_id: m for m in rows}

    async def unread(self, keys: Sequence[tuple[str, frozenset[str]]]) -> dict[Any, int]:
        """(conversation, caller ids) -> messages others sent that are not read yet."""
        found: dict[Any, int] = {}
        async with read(self.domain) as session:
            for conversation_id, ids in keys:
                count = await session.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.sender_id.not_in(list(ids)),
                        Message.read_at.is_(None),
                    )
                )
                found[(conversation_id, ids)] = int(count or 0)
        return found

    async def page(
        self, conversation_id: str, first: int, after: str | None
    ) -> tuple[list[Message], int, bool]:
        """Up to `first` messages after the cursor, newest first; the total; whether more."""
        where = [Message.conversation_id == conversation_id]
        position = uncursor(after) if after else None
        async with read(self.domain) as session:
            total = await session.scalar(select(func.count()).select_from(Message).where(*where))
            where += before(position)
            rows = list(
                await session.scalars(
                    select(Message)
                    .where(*where)
                    .order_by(Message.created_at.desc(), Message.id.desc())
                    .limit(first + 1)
                )
            )
        return rows[:first], int(total or 0), len(rows) > first

    async def sent(
        self, senders: Sequence[str], first: int, after: str | None
    ) -> dict[str, tuple[list[Message], int, bool]]:
        """Per sender: up to `first` of their messages after the cursor, newest first; how
        many they sent; whether more follow (three queries for any number of senders)."""
        found: dict[str, tuple[list[Message], int, bool]] = {s: ([], 0, False) for s in senders}
        if not senders:
            return found
        mine = Message.sender_id.in_(list(senders))
        async with read(self.domain) as session:
            totals = dict(
                (
                    await session.execute(
                        select(Message.sender_id, func.count())
                        .where(mine)
                        .group_by(Message.sender_id)
                    )
                ).all()
            )
            rank = func.row_number().over(
                partition_by=Message.sender_id,
                order_by=(Message.created_at.desc(), Message.id.desc()),
            )
            ranked = (
                select(Message.id, rank.label("rank"))
                .where(mine, *before(uncursor(after) if after else None))
                .subquery()
            )
            rows = await session.scalars(
                select(Message)
                .join(ranked, ranked.c.id == Message.id)
                .where(ranked.c.rank <= first + 1)
                .order_by(Message.sender_id, ranked.c.rank)
            )
            pages: dict[str, list[Message]] = {}
            for m in rows:
                pages.setdefault(m.sender_id, []).append(m)
        for sender in senders:
            page = pages.get(sender, [])
            found[sender] = (page[:first], int(totals.get(sender, 0)), len(page) > first)
        return found
