"""OpenAPI `callbacks` are fired like webhooks by `kk mock` (tests/fixtures/callbacks): to the
URL of the callback's runtime expression, with a body valid against its schema, retried on
failure, and through the webhooks' target checks."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kkapp.factory import AppConfig, build
from kkcore.types import OperationSpec
from mocks.callbacks import Unresolved, callback_url
from server.ports import OperationRequest
from server.responses import Reply

pytestmark = pytest.mark.anyio
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "callbacks" / "openapi.yaml"
EVENT = {
    "type": "object",
    "required": ["kind", "at", "seq"],
    "properties": {
        "kind": {"enum": ["created", "updated"]},
        "at": {"type": "string", "format": "date-time"},
        "seq": {"type": "integer", "minimum": 1},
    },
}


class Receiver:
    """A local HTTP receiver that records every request and answers `statuses` in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.seen.append((self.command, self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PUT = _any

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    async def wait(self, count: int, seconds: float = 10) -> None:
        for _ in range(int(seconds * 20)):
            if len(self.seen) >= count:
                return
            await asyncio.sleep(0.05)
        pytest.fail(f"{len(self.seen)} callback(s) received, expected {count}")


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    found = Receiver(list(getattr(request, "param", [200])))
    threading.Thread(target=found.server.serve_forever, daemon=True).start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def client(tmp_path: Path) -> httpx.AsyncClient:
    options = {"webhook_retry_base": 0.05, "webhook_attempts": 3}
    config = AppConfig("mock", spec=str(FIXTURE), data_dir=str(tmp_path), options=options)
    app = build(config).app
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")


async def test_a_callback_goes_to_the_url_in_the_request_body_with_a_schema_valid_body(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with client(tmp_path) as c:
        answer = await c.post("/subscriptions", json={"callbackUrl": receiver.url + "/hook"})
        await receiver.wait(1)
    assert answer.status_code == 201
    method, path, headers, body = receiver.seen[0]
    assert (method, path, headers["Content-Type"]) == ("POST", "/hook/events", "application/json")
    Draft202012Validator(EVENT).validate(json.loads(body))


async def test_a_callback_template_reads_the_query_and_the_answer_and_keeps_its_method(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with client(tmp_path) as c:
        answer = await c.post("/jobs", params={"notify": receiver.url + "/done"})
        await receiver.wait(1)
    method, path, _, body = receiver.seen[0]
    assert method == "PUT"
    assert path == f"/done?job={answer.json()['id']}&via=POST"
    assert json.loads(body)["state"] in ("done", "failed")


@pytest.mark.parametrize("receiver", [[500, 503, 200]], indirect=True)
async def test_a_failed_callback_is_retried_like_a_webhook(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with client(tmp_path) as c:
        await c.post("/subscriptions", json={"callbackUrl": receiver.url})
        await receiver.wait(3)
        await asyncio.sleep(0.3)
    assert len(receiver.seen) == 3
    assert receiver.seen[0][3] == receiver.seen[2][3]  # the same body on every attempt


async def test_a_callback_to_a_host_outside_this_machine_is_refused_not_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with client(tmp_path) as c:
        answer = await c.post("/subscriptions", json={"callbackUrl": "http://10.1.2.3:9"})
        await asyncio.sleep(0.3)
    assert answer.status_code == 201
    assert "not delivered" in caplog.text and "KK_WEBHOOK_HOSTS" in caplog.text


OPERATION: OperationSpec = {
    "operation_id": "op",
    "method": "POST",
    "path": "/things/{id}",
    "tag": "t",
    "summary": "",
    "parameters": [],
    "responses": {},
    "security": [],
    "rate_limit": "default",
    "extensions": {},
}


def exchange(body: Any, params: dict[str, Any] | None = None) -> tuple[Any, Reply]:
    request = OperationRequest(OPERATION, params or {}, body, None, "r1", [])  # type: ignore[arg-type]
    request.headers = httpx.Headers({"x-hook": "https://h.example/x"})  # type: ignore[assignment]
    return request, Reply(201, {"id": "t_1", "n": [1]}, {"Location": "/things/t_1"})


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1))
def test_a_body_pointer_expression_is_replaced_by_the_value_it_points_to(text: str) -> None:
    request, reply = exchange({"a": {"b/c": text}})
    assert callback_url("{$request.body#/a/b~1c}/x", OPERATION, request, reply) == text + "/x"


def test_every_kind_of_runtime_expression_is_evaluated() -> None:
    request, reply = exchange({"u": "https://e.example"}, {"id": 7, "q": "v"})
    template = (
        "{$request.body#/u}/{$request.path.id}?q={$request.query.q}&h={$request.header.x-hook}"
        "&r={$response.body#/id}&l={$response.header.Location}&s={$statusCode}&m={$method}"
    )
    assert callback_url(template, OPERATION, request, reply) == (
        "https://e.example/7?q=v&h=https://h.example/x&r=t_1&l=/things/t_1&s=201&m=POST"
    )
    assert callback_url("$request.body#/u", OPERATION, request, reply) == "https://e.example"


@pytest.mark.parametrize(
    "template", ["{$request.body#/missing}", "{$response.body#/n}", "{$request.query.q}"]
)
def test_an_expression_that_names_nothing_or_an_object_is_unresolved(template: str) -> None:
    request, reply = exchange({"u": 1})
    with pytest.raises(Unresolved):
        callback_url(template, OPERATION, request, reply)
