"""The /ws API on the handlers' database (SQLite and PostgreSQL): a `message` frame is stored
through the messaging service and heard once by each other connection of the conversation's
people; `typing` and `webrtc_signal` reach only the parties the database names; whoever is
not a party gets an `error` frame, nothing is stored, and the connection stays open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from handlers.domain.context import domain_of
from handlers.storage.models import Booking, Message, OutboxEvent
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.handlers.people import add, at, booking_row, client, practitioner_row
from tests.sockets import Socket

pytestmark = pytest.mark.anyio
USER, PRAC, CONV, OUTSIDER = "test_user_123", "test_prac_123", "conv_test123", "user_999"
SCOPES = ["read:messages", "write:messages", "read:bookings"]


def token(built: Built, subject: str, **claims: Any) -> str:
    return auth_of(built.runtime.extras).issue_token(subject, SCOPES, **claims)


def practitioner_token(built: Built) -> str:
    return token(built, PRAC, user_type="practitioner", practitioner_id=PRAC)


def chat(content: str, conversation: str = CONV, **more: str) -> dict[str, Any]:
    return {"type": "message", "conversation_id": conversation, "content": content, **more}


async def stored(built: Built) -> tuple[int, int]:
    """(messages, message.created outbox events) in the database."""
    domain = await domain_of(built.runtime.extras).ready()
    async with domain.db.session() as s:
        messages = await s.scalar(select(func.count()).select_from(Message))
        events = await s.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.type == "message.created")
        )
    return int(messages or 0), int(events or 0)


async def rest_messages(built: Built, subject: str) -> list[dict[str, Any]]:
    async with client(built) as c:
        r = await c.get(
            f"/v1/conversations/{CONV}/messages",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {token(built, subject)}"},
        )
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["data"]
    return found


@pytest.fixture
async def people(sandbox: Built) -> AsyncIterator[tuple[Socket, Socket, Socket]]:
    """The user (sender), the practitioner and an outsider, each on /ws and subscribed to
    the messages channel (all their conversations)."""
    async with (
        Socket(sandbox.app) as sender,
        Socket(sandbox.app) as other,
        Socket(sandbox.app) as stranger,
    ):
        await sender.login(token(sandbox, USER))
        await other.login(practitioner_token(sandbox))
        await stranger.login(token(sandbox, OUTSIDER))
        for ws in (sender, other, stranger):
            await ws.subscribe("messages")
        yield sender, other, stranger


async def test_a_ws_message_is_stored_and_heard_once_by_the_other_participant(
    sandbox: Built, people: tuple[Socket, Socket, Socket]
) -> None:
    sender, other, stranger = people
    before = await stored(sandbox)
    reply = await sender.ask(chat("Hello from /ws"))
    assert reply["type"] == "message" and reply["id"].startswith("msg_")
    assert reply["sender_id"] == USER and reply["content"] == "Hello from /ws"
    assert reply["conversation_id"] == CONV and reply["message_type"] == "text"
    # the other participant: the stored message, once (no second relay, no event frame)
    assert await other.drained() == [reply]
    # the sender's own connection got its answer, not a copy; the outsider nothing
    assert await sender.drained() == []
    assert await stranger.drained() == []
    assert await stored(sandbox) == (before[0] + 1, before[1] + 1)
    [listed] = [m for m in await rest_messages(sandbox, PRAC) if m["id"] == reply["id"]]
    assert listed["attributes"]["content"] == "Hello from /ws"
    assert listed["attributes"]["sender_id"] == USER
    assert listed["attributes"]["created_at"] == reply["sent_at"]


async def test_the_senders_other_connection_hears_its_message(sandbox: Built) -> None:
    async with Socket(sandbox.app) as phone, Socket(sandbox.app) as laptop:
        await phone.login(token(sandbox, USER))
        await laptop.login(token(sandbox, USER))
        await laptop.subscribe("messages", conversation_id=CONV)
        reply = await phone.ask(chat("sent from the phone"))
        assert await laptop.drained() == [reply]


@pytest.mark.parametrize(
    ("who", "frame", "code", "pointer"),
    [
        (OUTSIDER, chat("let me in"), "RESOURCE_NOT_FOUND", None),
        (USER, chat("hello?", conversation="conv_nothere"), "RESOURCE_NOT_FOUND", None),
        (USER, chat("nul \x00 byte"), "VALIDATION_ERROR", "/content"),
        (USER, chat("file_nothere1", message_type="file"), "VALIDATION_ERROR", "/content"),
        (USER, chat("x" * 5001), "VALIDATION_ERROR", "/content"),
        (USER, chat(""), "VALIDATION_ERROR", "/content"),
    ],
)
async def test_a_refused_message_gets_an_error_frame_and_stores_nothing(
    sandbox: Built, who: str, frame: dict[str, Any], code: str, pointer: str | None
) -> None:
    before = await stored(sandbox)
    async with Socket(sandbox.app) as ws, Socket(sandbox.app) as other:
        await ws.login(token(sandbox, who))
        await other.login(practitioner_token(sandbox))
        await other.subscribe("messages")
        error = await ws.ask(frame)
        assert error["type"] == "error" and error["code"] == code, error
        assert error["ref_type"] == "message" and error.get("pointer") == pointer
        assert error["detail"]
        assert await ws.drained() == []  # the connection stays open
        assert await other.drained() == []
        # and still works
        if who == USER:
            assert (await ws.ask(chat("after the error")))["type"] == "message"
    after = await stored(sandbox)
    assert after == (before[0] + (who == USER), before[1] + (who == USER))


@given(content=st.text(min_size=1, max_size=300))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_any_text_is_stored_exactly_or_refused_with_nothing_stored(
    sandbox: Built, content: str
) -> None:
    before = await stored(sandbox)
    async with Socket(sandbox.app) as ws:
        await ws.login(token(sandbox, USER))
        reply = await ws.ask(chat(content))
    if reply["type"] == "error":
        assert reply["code"] == "VALIDATION_ERROR" and "\x00" in content
        assert await stored(sandbox) == before
        return
    assert reply["content"] == content
    assert await stored(sandbox) == (before[0] + 1, before[1] + 1)
    [listed] = [m for m in await rest_messages(sandbox, USER) if m["id"] == reply["id"]]
    assert listed["attributes"]["content"] == content


async def test_typing_reaches_only_the_participants(
    sandbox: Built, people: tuple[Socket, Socket, Socket]
) -> None:
    sender, other, stranger = people
    await sender.send({"type": "typing", "conversation_id": CONV, "is_typing": True})
    assert await sender.drained() == []  # no acknowledgement, no echo
    assert await other.drained() == [
        {"type": "typing", "conversation_id": CONV, "user_id": USER, "is_typing": True}
    ]
    assert await stranger.drained() == []
    error = await stranger.ask({"type": "typing", "conversation_id": CONV, "is_typing": True})
    assert error["code"] == "RESOURCE_NOT_FOUND" and error["ref_type"] == "typing"
    assert await other.drained() == [] and await sender.drained() == []


async def test_a_webrtc_signal_reaches_the_bookings_other_party_only(sandbox: Built) -> None:
    await add(sandbox, practitioner_row("prac_video1", "user_pracacct1"))
    await add(
        sandbox,
        booking_row("booking_video1", USER, "prac_video1", at(48)),
        booking_row("booking_visit1", USER, "prac_video1", at(72)),
    )
    async with (
        Socket(sandbox.app) as caller,
        Socket(sandbox.app) as callee,
        Socket(sandbox.app) as stranger,
    ):
        await caller.login(token(sandbox, USER))
        await callee.login(token(sandbox, "user_pracacct1"))
        await stranger.login(token(sandbox, OUTSIDER))
        for ws in (callee, stranger):
            await ws.subscribe("bookings")
        offer = {
            "type": "webrtc_signal",
            "booking_id": "booking_video1",
            "signal_type": "offer",
            "signal_data": {"sdp": "v=0", "type": "offer"},
        }
        await caller.send(offer)
        assert await caller.drained() == []
        assert await callee.drained() == [{**offer, "from_user_id": USER}]
        assert await stranger.drained() == []
        refused = await stranger.ask(offer)
        assert refused["code"] == "RESOURCE_NOT_FOUND" and refused["pointer"] == "/booking_id"
        assert await callee.drained() == []
    domain = domain_of(sandbox.runtime.extras)
    async with domain.db.transaction() as s:
        visit = await s.get(Booking, "booking_visit1")
        assert visit is not None
        visit.session_type = "in_person"
    async with Socket(sandbox.app) as caller:
        await caller.login(token(sandbox, USER))
        wrong = await caller.ask({**offer, "booking_id": "booking_visit1"})
        assert wrong["code"] == "VALIDATION_ERROR" and "in_person" in wrong["detail"]


@pytest.mark.parametrize(
    ("scopes", "frame", "missing"),
    [
        (["read:messages"], chat("Hello"), "write:messages"),
        (
            ["read:messages"],
            {"type": "typing", "conversation_id": CONV, "is_typing": True},
            "write:messages",
        ),
        (["read:messages"], {"type": "subscribe", "channel": "bookings"}, "read:bookings"),
        (["read:bookings"], {"type": "subscribe", "channel": "messages"}, "read:messages"),
    ],
)
async def test_a_frame_needs_the_scopes_the_asyncapi_document_names(
    sandbox: Built, scopes: list[str], frame: dict[str, Any], missing: str
) -> None:
    """`x-required-scopes` (and `x-channel-scopes` of subscribe), as REST checks its scopes:
    a chat message needs write:messages like POST .../messages."""
    before = await stored(sandbox)
    async with Socket(sandbox.app) as ws:
        await ws.login(auth_of(sandbox.runtime.extras).issue_token(USER, scopes))
        refused = await ws.ask(frame)
        assert refused["type"] == "error" and refused["code"] == "INSUFFICIENT_PERMISSIONS"
        assert missing in refused["detail"] and refused["ref_type"] == frame["type"]
        assert (await ws.ask({"type": "ping"}))["type"] == "pong"  # still open
    assert await stored(sandbox) == before
