"""AsyncAPI rules: operations, messages and payloads, each direction."""

from __future__ import annotations

from typing import Any

from tests.contracts.diff_cases.docs import (
    STRING,
    B,
    Case,
    D,
    S,
    action,
    asyncapi,
    cases,
    changed,
    frame,
)

case = cases("asyncapi")
CHAT = frame(text=STRING | {"maxLength": 500})
SHORT_CHAT = frame(text=STRING | {"maxLength": 100})
EVENT = frame(id=STRING, data=STRING)
BARE_EVENT = frame(id=STRING)
TALK = {"talk": action("receive", "chat"), "tell": action("send", "event")}
TALK_ONLY = {"talk": action("receive", "chat")}
PING = {"talk": action("receive", "ping", reply=("chat",))}


def talk(operations: dict[str, Any] = TALK, **messages: dict[str, Any]) -> dict[str, Any]:
    """The chat document: `TALK` with messages chat and event, some replaced or added."""
    return asyncapi(operations, **({"chat": CHAT, "event": EVENT} | messages))


ASYNCAPI_CASES: list[Case] = [
    case("operation-removed", B, talk(), talk(TALK_ONLY), "operation-added", S),
    case(
        "operation-action-changed",
        B,
        talk(),
        talk({"talk": action("send", "chat"), "tell": action("send", "event")}),
        "operation-action-changed",
        B,
    ),
    case(
        "channel-address-changed",
        B,
        talk(),
        changed(talk(), lambda d: d["channels"]["ws"].update(address="/socket")),
        "channel-address-changed",
        B,
    ),
    case(
        "request-message-removed",
        B,
        asyncapi({"talk": action("receive", "chat", "ping")}, chat=CHAT, ping=frame()),
        asyncapi({"talk": action("receive", "chat")}, chat=CHAT, ping=frame()),
        "request-message-added",
        S,
    ),
    case(
        "response-message-added",
        D,
        asyncapi({"tell": action("send", "event")}, event=EVENT, pong=frame()),
        asyncapi({"tell": action("send", "event", "pong")}, event=EVENT, pong=frame()),
        "response-message-removed",
        D,
    ),
    case(
        "request-max-length-decreased",
        B,
        talk(),
        talk(chat=SHORT_CHAT),
        "request-max-length-increased",
        S,
    ),
    case(
        "response-property-removed", B, talk(), talk(event=BARE_EVENT), "response-property-added", S
    ),
    case(
        "response-max-length-increased",
        B,
        asyncapi(PING, ping=frame(), chat=SHORT_CHAT),
        asyncapi(PING, ping=frame(), chat=CHAT),
        "response-max-length-decreased",
        S,
    ),
    case(
        "message-scope-added",
        B,
        asyncapi(TALK_ONLY, chat=CHAT),
        asyncapi(TALK_ONLY, chat=CHAT | {"x-required-scopes": ["chat:write"]}),
    ),
    case(
        "message-scope-added",
        B,
        asyncapi(TALK_ONLY, chat=CHAT | {"x-channel-scopes": {"bookings": ["read:bookings"]}}),
        asyncapi(
            TALK_ONLY, chat=CHAT | {"x-channel-scopes": {"bookings": ["read:bookings", "admin"]}}
        ),
    ),
]
