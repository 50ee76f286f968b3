"""AsyncAPI rules: operations, messages and payloads, each direction."""

from __future__ import annotations

from tests.contracts.diff_cases.docs import STRING, B, Case, D, S, action, asyncapi, changed, frame

CHAT = frame(text=STRING | {"maxLength": 500})
SHORT_CHAT = frame(text=STRING | {"maxLength": 100})
EVENT = frame(id=STRING, data=STRING)
BARE_EVENT = frame(id=STRING)
TALK = {"talk": action("receive", "chat"), "tell": action("send", "event")}
TALK_ONLY = {"talk": action("receive", "chat")}

ASYNCAPI_CASES: list[Case] = [
    Case(
        "asyncapi",
        "operation-removed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK_ONLY, chat=CHAT, event=EVENT),
        "operation-added",
        S,
    ),
    Case(
        "asyncapi",
        "operation-action-changed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(
            {"talk": action("send", "chat"), "tell": action("send", "event")},
            chat=CHAT,
            event=EVENT,
        ),
        "operation-action-changed",
        B,
    ),
    Case(
        "asyncapi",
        "channel-address-changed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        changed(
            asyncapi(TALK, chat=CHAT, event=EVENT),
            lambda d: d["channels"]["ws"].update(address="/socket"),
        ),
        "channel-address-changed",
        B,
    ),
    Case(
        "asyncapi",
        "request-message-removed",
        B,
        asyncapi({"talk": action("receive", "chat", "ping")}, chat=CHAT, ping=frame()),
        asyncapi({"talk": action("receive", "chat")}, chat=CHAT, ping=frame()),
        "request-message-added",
        S,
    ),
    Case(
        "asyncapi",
        "response-message-added",
        D,
        asyncapi({"tell": action("send", "event")}, event=EVENT, pong=frame()),
        asyncapi({"tell": action("send", "event", "pong")}, event=EVENT, pong=frame()),
        "response-message-removed",
        D,
    ),
    Case(
        "asyncapi",
        "request-max-length-decreased",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK, chat=SHORT_CHAT, event=EVENT),
        "request-max-length-increased",
        S,
    ),
    Case(
        "asyncapi",
        "response-property-removed",
        B,
        asyncapi(TALK, chat=CHAT, event=EVENT),
        asyncapi(TALK, chat=CHAT, event=BARE_EVENT),
        "response-property-added",
        S,
    ),
    Case(
        "asyncapi",
        "response-max-length-increased",
        B,
        asyncapi(
            {"talk": action("receive", "ping", reply=("chat",))}, ping=frame(), chat=SHORT_CHAT
        ),
        asyncapi({"talk": action("receive", "ping", reply=("chat",))}, ping=frame(), chat=CHAT),
        "response-max-length-decreased",
        S,
    ),
    Case(
        "asyncapi",
        "message-scope-added",
        B,
        asyncapi(TALK_ONLY, chat=CHAT),
        asyncapi(TALK_ONLY, chat=CHAT | {"x-required-scopes": ["chat:write"]}),
    ),
    Case(
        "asyncapi",
        "message-scope-added",
        B,
        asyncapi(TALK_ONLY, chat=CHAT | {"x-channel-scopes": {"bookings": ["read:bookings"]}}),
        asyncapi(
            TALK_ONLY, chat=CHAT | {"x-channel-scopes": {"bookings": ["read:bookings", "admin"]}}
        ),
    ),
]
