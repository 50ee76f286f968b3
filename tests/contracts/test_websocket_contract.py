"""The WebSocket contract fuzzer, in-process against the flagship app (and its own honesty)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.testclient import TestClient

from contracts.websocket import ContractViolation, WebSocketFuzzer
from generated.asyncapi_messages import ASYNCAPI
from kkapp.config import AppConfig
from kkapp.factory import build


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(build(AppConfig("mock")).app) as tc:
        yield tc


def connector(tc: TestClient) -> Any:
    @contextmanager
    def connect() -> Iterator[Any]:
        with tc.websocket_connect("/ws") as ws:
            yield ws

    return connect


def test_valid_and_invalid_frames_keep_the_contract(client: TestClient) -> None:
    fuzzer = WebSocketFuzzer(ASYNCAPI, connector(client), token="contract")
    frames = fuzzer.run(examples=25, seed=1)
    assert frames >= 50


def test_a_chat_message_without_message_type_is_relayed_as_a_valid_frame(
    client: TestClient,
) -> None:
    fuzzer = WebSocketFuzzer(ASYNCAPI, connector(client), token="contract")
    with client.websocket_connect("/ws") as ws:
        fuzzer.login(ws)
        replies = fuzzer.exchange(
            ws, json.dumps({"type": "message", "conversation_id": "conv_1", "content": "hi"})
        )
    assert [r["type"] for r in replies] == ["message"]
    assert replies[0]["message_type"] == "text"


def test_the_fuzzer_reports_a_server_frame_that_breaks_its_schema(client: TestClient) -> None:
    table = json.loads(json.dumps(ASYNCAPI))
    table["send"]["pong"]["schema"]["required"] = ["type", "latency_ms"]
    fuzzer = WebSocketFuzzer(table, connector(client), token="contract")
    with client.websocket_connect("/ws") as ws, pytest.raises(ContractViolation, match="pong"):
        fuzzer.exchange(ws, '{"type": "ping"}')
