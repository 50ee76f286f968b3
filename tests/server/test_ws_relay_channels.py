"""Which /ws frames are relayed to other connections, and on which bus channel, comes from the
AsyncAPI document (`x-relay-channel` on the message), not from names in the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generated.asyncapi_messages import ASYNCAPI
from kkcore.asyncapi import asyncapi_table, load_asyncapi
from server.events import MemoryBus
from server.websocket import WebSocketAPI

SPEC = Path(__file__).resolve().parents[2] / "spec" / "asyncapi.yaml"


def foreign(shout: dict[str, Any]) -> dict[str, Any]:
    """A two-message AsyncAPI 3 document of another API (a room chat)."""
    text = {"type": "object", "properties": {"type": {"const": "shout"}}}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "rooms", "version": "1"},
        "channels": {"live": {"address": "/live", "messages": {"shout": {"$ref": "#/m/shout"}}}},
        "operations": {
            "hear": {
                "action": "receive",
                "channel": {"$ref": "#/channels/live"},
                "messages": [{"$ref": "#/m/shout"}, {"$ref": "#/m/hush"}],
            }
        },
        "m": {
            "shout": {"name": "shout", "payload": text, **shout},
            "hush": {"name": "hush", "payload": {"type": "object"}},
        },
    }


def test_the_flagship_relays_chat_on_messages_and_signals_on_bookings() -> None:
    api = WebSocketAPI(ASYNCAPI, MemoryBus(), None)
    assert api.relay_channels == {
        "message": "messages",
        "typing": "messages",
        "webrtc_signal": "bookings",
    }
    assert asyncapi_table(load_asyncapi(SPEC))["receive"] == ASYNCAPI["receive"]


def test_a_foreign_document_relays_what_it_marks_on_its_own_channel() -> None:
    api = WebSocketAPI(asyncapi_table(foreign({"x-relay-channel": "rooms"})), MemoryBus(), None)
    assert api.relay_channels == {"shout": "rooms"}


def test_without_the_extension_nothing_is_relayed() -> None:
    api = WebSocketAPI(asyncapi_table(foreign({})), MemoryBus(), None)
    assert api.relay_channels == {}
