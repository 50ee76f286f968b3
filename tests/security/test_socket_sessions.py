"""Issue 15, item 5: a socket's session is re-checked on every inbound frame and every
delivered event; after `POST /oauth/revoke` (or once the token expires) the socket is closed,
4403 for a revoked session, 4401 for an expired token, on /ws and graphql-transport-ws."""

from __future__ import annotations

import asyncio

import pytest

from kkapp.factory import Built
from tests.security.support import PATIENT_SCOPES, auth, client, sandbox
from tests.sockets import Socket

pytestmark = pytest.mark.anyio
SANDBOX_KEY = "kk_test_sandbox_key_for_local_development_only"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return sandbox(str(tmp_path_factory.mktemp("sockets")))


async def revoke(app: object, token: str) -> None:
    async with client(app) as c:
        r = await c.post("/oauth/revoke", data={"token": token, "client_id": "kk-sandbox"})
    assert r.status_code == 200, r.text


async def test_a_revoked_token_closes_the_ws_session_on_its_next_frame(built: Built) -> None:
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES)
    async with Socket(built.app) as ws:
        await ws.send({"type": "auth", "token": token})
        assert (await ws.receive())["type"] == "auth_ok"
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}
        await revoke(built.app, token)
        await ws.send({"type": "ping"})
        refused = await ws.receive()
        assert refused["type"] == "error" and refused["code"] == "INVALID_TOKEN", refused
        assert "no longer valid" in refused["detail"]
        assert await ws.closed() == 4403


async def test_an_expired_token_closes_the_ws_session_with_4401(built: Built) -> None:
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES, ttl=1)
    async with Socket(built.app) as ws:
        await ws.send({"type": "auth", "token": token})
        assert (await ws.receive())["type"] == "auth_ok"
        await asyncio.sleep(1.1)
        await ws.send({"type": "ping"})
        refused = await ws.receive()
        assert refused["code"] == "INVALID_TOKEN" and "expired" in refused["detail"]
        assert await ws.closed() == 4401


async def test_a_revoked_session_gets_no_more_events_and_is_closed(built: Built) -> None:
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES)
    async with Socket(built.app) as listener, Socket(built.app, client=("10.0.0.2", 2)) as sender:
        await listener.send({"type": "auth", "token": token})
        assert (await listener.receive())["type"] == "auth_ok"
        await listener.send({"type": "subscribe", "channel": "messages"})
        assert (await listener.receive())["type"] == "subscribed"
        await sender.send({"type": "auth", "token": SANDBOX_KEY})
        assert (await sender.receive())["type"] == "auth_ok"
        typing = {"type": "typing", "conversation_id": "conv_test123", "is_typing": True}
        await sender.send(typing)
        assert (await listener.receive())["type"] == "typing"  # delivered while valid
        await revoke(built.app, token)
        await sender.send(typing)
        refused = await listener.receive()
        assert refused["type"] == "error" and refused["code"] == "INVALID_TOKEN", refused
        assert await listener.closed() == 4403


async def test_a_revoked_token_closes_the_graphql_transport_ws_session(built: Built) -> None:
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES)
    async with Socket(built.app, path="/graphql") as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert (await ws.receive())["type"] == "connection_ack"
        await ws.send({"type": "ping"})
        assert (await ws.receive())["type"] == "pong"
        await revoke(built.app, token)
        await ws.send({"type": "ping"})
        assert await ws.closed() == 4403


async def test_an_expired_token_closes_the_graphql_transport_ws_session(built: Built) -> None:
    token = auth(built).issue_token("test_user_123", PATIENT_SCOPES, ttl=1)
    async with Socket(built.app, path="/graphql") as ws:
        await ws.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert (await ws.receive())["type"] == "connection_ack"
        await asyncio.sleep(1.1)
        await ws.send({"type": "ping"})
        assert await ws.closed() == 4401
