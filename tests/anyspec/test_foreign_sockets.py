"""A WebSocket endpoint of a foreign AsyncAPI document refuses a frame in terms its clients
know: where the document declares no `error` message, no Klear-Karma-style `error` frame is
sent; the socket closes with 1008 and the reason (RFC 6455). A document that declares one
(the flagship) keeps its error frames."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from kkcore.asyncapi import asyncapi_table
from server.events import MemoryBus
from server.websocket import WebSocketAPI
from server.wssession import MAX_REASON, close_reason


def rooms(*, error: bool) -> dict[str, Any]:
    """A room chat's AsyncAPI 3 document: clients send `shout`, the server sends `heard`."""
    shout = {
        "type": "object",
        "required": ["type", "text"],
        "properties": {"type": {"const": "shout"}, "text": {"type": "string", "maxLength": 5}},
    }
    sent = [{"$ref": "#/m/heard"}, *([{"$ref": "#/m/error"}] if error else [])]
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "rooms", "version": "1"},
        "channels": {"live": {"address": "/live"}},
        "operations": {
            "hear": {
                "action": "receive",
                "channel": {"$ref": "#/channels/live"},
                "messages": [{"$ref": "#/m/shout"}],
            },
            "tell": {"action": "send", "channel": {"$ref": "#/channels/live"}, "messages": sent},
        },
        "m": {
            "shout": {"name": "shout", "payload": shout},
            "heard": {"name": "heard", "payload": {"type": "object"}},
            "error": {"name": "error", "payload": {"type": "object"}},
        },
    }


def socket_app(doc: dict[str, Any]) -> Starlette:
    api = WebSocketAPI(asyncapi_table(doc), MemoryBus(), None)
    return Starlette(routes=[WebSocketRoute("/live", api.endpoint)])


@pytest.mark.parametrize(
    "frame",
    ['{"type": "whisper"}', '{"type": "shout", "text": "far too long"}', "not json"],
)
def test_without_a_declared_error_message_a_bad_frame_closes_with_1008(frame: str) -> None:
    with TestClient(socket_app(rooms(error=False))) as client:
        with client.websocket_connect("/live") as ws:
            ws.send_text(frame)
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
    assert closed.value.code == 1008
    assert closed.value.reason.startswith("VALIDATION_ERROR: ")
    assert "klear" not in closed.value.reason.lower()


def test_a_document_declaring_error_frames_keeps_them() -> None:
    with TestClient(socket_app(rooms(error=True))) as client:
        with client.websocket_connect("/live") as ws:
            ws.send_text('{"type": "whisper"}')
            frame = ws.receive_json()
    assert frame["type"] == "error" and frame["code"] == "VALIDATION_ERROR"


def test_a_close_reason_is_cut_to_what_a_close_frame_holds() -> None:
    reason = close_reason("é" * 100)
    assert len(reason.encode()) <= MAX_REASON and reason == "é" * (MAX_REASON // 2)
