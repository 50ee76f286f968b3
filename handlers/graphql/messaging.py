"""GraphQL of messaging: `conversation`, `sendMessage`, `messageAdded` and the Conversation,
Message and File types, through the same services as REST (participants only)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from ariadne import MutationType, ObjectType, QueryType, SubscriptionType

from handlers.domain.context import domain_of
from handlers.domain.conversations import ConversationReads, cursor
from handlers.domain.jsonapi import iso
from handlers.domain.message_resources import file_url
from handlers.domain.messaging import MessagingService
from handlers.graphql.batch import batch, caller
from handlers.graphql.nodes import edges_page
from handlers.storage.models import Attachment, Conversation, Message, User
from kkcore.errors import ApiError, NotFound

query, mutation, subscription = QueryType(), MutationType(), SubscriptionType()
conversation_type, message_type, file_type = (
    ObjectType("Conversation"),
    ObjectType("Message"),
    ObjectType("File"),
)


def reads(info: Any) -> ConversationReads:
    return domain_of(info.context["services"]).get(ConversationReads)


def load(info: Any, name: str, key: Any) -> Any:
    r = reads(info)
    fetch: Any = {
        "conversation": r.conversations,
        "message": r.messages,
        "file": r.files,
        "user": r.users,
        "people": r.people,
        "latest": r.latest,
        "unread": r.unread,
    }[name]
    return batch(info, name, fetch).load(key)


def person(user_id: str, row: User | None) -> dict[str, Any]:
    """A User object with its public fields (camelCase keys); an id alone when the person has
    no account row (a practitioner). The contact details are left to the User type's
    resolvers, which show them only to the user themself and administrators."""
    if row is None:
        return {"id": user_id}
    return {
        "id": row.id,
        "firstName": row.first_name,
        "lastName": row.last_name,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


def conversation_id(c: Any) -> str:
    """The id of a Conversation parent: a row, or the object a user's list made of one."""
    return str(c.get("id") if isinstance(c, Mapping) else c.id)


@query.field("conversation")
async def resolve_conversation(_: Any, info: Any, id: str) -> Conversation | None:
    try:
        return (
            await domain_of(info.context["services"])
            .get(MessagingService)
            .conversation(caller(info), id)
        )
    except NotFound:
        return None


@mutation.field("sendMessage")
async def resolve_send_message(_: Any, info: Any, input: dict[str, Any]) -> dict[str, Any]:
    service = domain_of(info.context["services"]).get(MessagingService)
    content = input["content"]
    if not 1 <= len(content) <= 5000:
        return {
            "message": None,
            "errors": [
                {
                    "field": "input.content",
                    "message": "1..5000 characters",
                    "code": "VALIDATION_ERROR",
                }
            ],
        }
    try:
        return {
            "message": await service.send(caller(info), input["conversationId"], content),
            "errors": [],
        }
    except ApiError as e:
        field = "input.conversationId" if isinstance(e, NotFound) else None
        return {"message": None, "errors": [{"field": field, "message": str(e), "code": e.code}]}


@subscription.source("messageAdded")  # type: ignore[arg-type]  # (a coroutine is fine)
async def watch_messages(_: Any, info: Any, conversationId: str) -> AsyncGenerator[str, None]:  # noqa: N803
    """The ids of the conversation's new messages; participants only (else refused before it
    starts). Subscribed here, when the `subscribe` frame is handled, not at the generator's
    first step in a later task: a message sent meanwhile (while the access check awaits the
    database) is not lost, and a client's ping answered after `subscribe` proves it is live."""
    feed = info.context["bus"].subscribe(["messages"])
    try:
        await (
            domain_of(info.context["services"])
            .get(MessagingService)
            .conversation(caller(info), conversationId)
        )
    except BaseException:
        feed.close()
        raise
    return _added(feed, conversationId)


async def _added(feed: Any, conversation_id: str) -> AsyncGenerator[str, None]:
    try:
        async for event in feed:
            rel = (event.data.get("relationships") or {}).get("conversation") or {}
            if (
                event.type == "message.created"
                and (rel.get("data") or {}).get("id") == conversation_id
            ):
                yield str(event.data["id"])
    finally:
        feed.close()


@subscription.field("messageAdded")
async def resolve_message_added(message_id: str, info: Any, **_: Any) -> Message | None:
    found: Message | None = await load(info, "message", message_id)
    return found


@conversation_type.field("participants")
async def resolve_participants(c: Any, info: Any) -> list[dict[str, Any]]:
    ids = sorted(await load(info, "people", conversation_id(c)) or ())
    rows = [await load(info, "user", i) for i in ids]
    return [person(i, row) for i, row in zip(ids, rows, strict=True)]


@conversation_type.field("booking")
def resolve_booking(c: Any, _: Any) -> dict[str, Any] | None:
    if isinstance(c, Mapping):
        found = c.get("booking")
        return dict(found) if isinstance(found, Mapping) else None
    return {"id": c.booking_id} if c.booking_id else None


def message_connection(
    rows: list[Message], total: int, more: bool, after: str | None
) -> dict[str, Any]:
    """A MessageConnection with keyset cursors (a page stays put when messages are added)."""
    edges = [{"cursor": cursor(m), "node": m} for m in rows]
    return edges_page(edges, total, more, after is not None)


@conversation_type.field("messages")
async def resolve_messages(
    c: Any, info: Any, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    size = max(1, min(first or 20, 100))
    rows, total, more = await reads(info).page(conversation_id(c), size, after)
    return message_connection(rows, total, more, after)


@conversation_type.field("lastMessage")
async def resolve_last_message(c: Any, info: Any) -> Message | None:
    found: Message | None = await load(info, "latest", conversation_id(c))
    return found


@conversation_type.field("unreadCount")
async def resolve_unread(c: Any, info: Any) -> int:
    return int(await load(info, "unread", (conversation_id(c), caller(info).ids)) or 0)


def _when(c: Any, name: str, attr: str) -> str | None:
    return c.get(name) if isinstance(c, Mapping) else iso(getattr(c, attr))


for name, attr in (
    ("lastMessageAt", "last_message_at"),
    ("createdAt", "created_at"),
    ("updatedAt", "updated_at"),
):
    conversation_type.set_field(name, lambda c, _, _n=name, _a=attr: _when(c, _n, _a))


@message_type.field("conversation")
async def resolve_message_conversation(m: Message, info: Any) -> Conversation | None:
    found: Conversation | None = await load(info, "conversation", m.conversation_id)
    return found


@message_type.field("sender")
async def resolve_sender(m: Message, info: Any) -> dict[str, Any]:
    return person(m.sender_id, await load(info, "user", m.sender_id))


@message_type.field("file")
async def resolve_file(m: Message, info: Any) -> Attachment | None:
    return await load(info, "file", m.file_id) if m.file_id else None


message_type.set_field("timestamp", lambda m, _: iso(m.created_at))
message_type.set_field("type", lambda m, _: m.message_type.upper())
message_type.set_field("readAt", lambda m, _: iso(m.read_at))
file_type.set_field("contentType", lambda f, _: f.content_type)
file_type.set_field("url", lambda f, _: file_url(f))
file_type.set_field("createdAt", lambda f, _: iso(f.created_at))

BINDABLES: list[Any] = [query, mutation, subscription, conversation_type, message_type, file_type]
