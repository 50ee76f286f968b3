"""/ws frames count against the REST rate-limit class their AsyncAPI message names
(`x-rate-limit`: chat messages spend `messaging`); over the limit a frame gets an error frame
RATE_LIMIT_EXCEEDED and the connection stays open."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient

from generated.asyncapi_messages import ASYNCAPI
from kkcore.errors import RateLimitExceeded
from kkcore.types import Scope
from server.events import MemoryBus
from server.identity import Identity
from server.websocket import WebSocketAPI


class Budget:
    """A RateLimiter allowing `limit` hits per class, recording what was counted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.hits: list[tuple[str, str | None]] = []

    async def hit(
        self, scope: Scope, identity: Identity | None, rate_class: str | None
    ) -> list[tuple[bytes, bytes]]:
        self.hits.append((identity.subject if identity else "", rate_class))
        if sum(1 for _, c in self.hits if c == rate_class) > self.limit:
            raise RateLimitExceeded(f"{rate_class}: {self.limit} per window")
        return []


def chat(n: int) -> dict[str, Any]:
    return {"type": "message", "conversation_id": "conv_1", "content": f"hello {n}"}


def test_the_table_names_the_chat_messages_class() -> None:
    assert ASYNCAPI["receive"]["message"]["rate_limit"] == "messaging"
    assert "rate_limit" not in ASYNCAPI["receive"]["ping"]


@settings(max_examples=8, deadline=None)
@given(limit=st.integers(0, 4), extra=st.integers(1, 3))
def test_chat_frames_spend_the_messaging_class_then_get_rate_limit_exceeded(
    limit: int, extra: int
) -> None:
    budget = Budget(limit)
    api = WebSocketAPI(ASYNCAPI, MemoryBus(), None, rate_limiter=budget)
    app = Starlette(routes=[WebSocketRoute("/ws", api.endpoint)])
    with TestClient(app) as tc, tc.websocket_connect("/ws") as ws:
        ws.send_json({"type": "auth", "token": "any"})
        assert ws.receive_json()["type"] == "auth_ok"
        for n in range(limit):
            ws.send_json(chat(n))
            assert ws.receive_json()["type"] == "message"
        for n in range(extra):
            ws.send_json(chat(limit + n))
            refused = ws.receive_json()
            assert refused["type"] == "error" and refused["code"] == "RATE_LIMIT_EXCEEDED"
            assert refused["ref_type"] == "message"
        ws.send_json({"type": "ping"})  # not counted, and the connection is still open
        assert ws.receive_json() == {"type": "pong"}
    assert [c for _, c in budget.hits] == ["messaging"] * (limit + extra)
