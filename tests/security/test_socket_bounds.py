"""Issue 15, items 5 and 12: /ws bounds, seen by a third-party client (the `websockets`
library) against a real uvicorn server run with `kk serve`'s options: frames over 16 KiB
before auth and over `--ws-max-size` at all are closed with 1009, a socket that does not
authenticate in time is closed with 4408, floods of pings or bad auth frames get an error
frame and a close, and one address holds a bounded number of unauthenticated sockets."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.security.live import served
from tests.security.support import sandbox
from tests.sockets import Socket

SANDBOX_KEY = "kk_test_sandbox_key_for_local_development_only"
LIMITS = {"auth_timeout": 2.0, "unauthenticated_per_ip": 3, "max_auth_failures": 3}


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data_dir = str(tmp_path_factory.mktemp("bounds"))
    built = sandbox(data_dir, sockets=LIMITS, rate_limits="on")
    with pytest.MonkeyPatch.context() as mp, served(built.app, mp) as port:
        yield port


def ws(port: int) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5, max_size=None)


def frame(conn: ClientConnection) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(conn.recv(timeout=5))
    return found


def close_code(conn: ClientConnection) -> int | None:
    """Read until the server closes; its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            conn.recv(timeout=5)
    return closed.value.rcvd.code if closed.value.rcvd else None


def test_a_frame_over_16_kib_before_auth_gets_an_error_and_a_1009_close(port: int) -> None:
    with ws(port) as conn:
        conn.send(json.dumps({"type": "auth", "token": "x" * 20_000}))
        refused = frame(conn)
        assert (
            refused["type"] == "error" and "16384 bytes before authentication" in refused["detail"]
        )
        assert close_code(conn) == 1009


def test_a_frame_over_the_servers_ws_max_size_is_closed_by_the_server(port: int) -> None:
    with ws(port) as conn:
        conn.send("x" * 200_000)
        assert close_code(conn) == 1009


def test_a_socket_that_does_not_authenticate_in_time_is_closed_with_4408(port: int) -> None:
    with ws(port) as conn:
        refused = frame(conn)  # nothing sent: the deadline (2 s here) passes
        assert refused["code"] == "AUTHENTICATION_REQUIRED", refused
        assert close_code(conn) == 4408


def test_a_ping_flood_gets_rate_limit_exceeded_then_a_4429_close(port: int) -> None:
    with ws(port) as conn:
        with contextlib.suppress(ConnectionClosed):  # the close may come mid-flood
            for _ in range(200):
                conn.send(json.dumps({"type": "ping"}))
        answers = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                answers.append(json.loads(conn.recv(timeout=5)))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
        assert answers[-1]["code"] == "RATE_LIMIT_EXCEEDED", answers[-1]
        assert 1 <= sum(a == {"type": "pong"} for a in answers) < 200


def test_frames_are_not_throttled_with_rate_limits_off(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path), rate_limits="off")
    guard = built.runtime.extras["socket_guard"]
    assert guard.bucket() is None
    relaxed = sandbox(str(tmp_path / "r"), rate_limits="relaxed")
    assert relaxed.runtime.extras["socket_guard"].limits.frames_per_second == 2000


def test_bad_auth_frames_close_the_socket_after_three(port: int) -> None:
    with ws(port) as conn:
        for _ in range(3):
            conn.send(json.dumps({"type": "auth", "token": "not-a-token"}))
        codes = [frame(conn)["code"] for _ in range(4)]
        assert codes == ["INVALID_TOKEN"] * 4  # three refusals, then the closing error frame
        assert close_code(conn) == 4401


def test_an_address_holds_at_most_three_unauthenticated_sockets(port: int) -> None:
    with contextlib.ExitStack() as stack:
        held = [stack.enter_context(ws(port)) for _ in range(3)]
        with ws(port) as extra:
            refused = frame(extra)
            assert refused["code"] == "RATE_LIMIT_EXCEEDED", refused
            assert close_code(extra) == 4429
        held[0].send(json.dumps({"type": "auth", "token": SANDBOX_KEY}))
        assert frame(held[0])["type"] == "auth_ok"  # no longer counted
        with ws(port) as admitted:
            admitted.send(json.dumps({"type": "ping"}))
            assert frame(admitted) == {"type": "pong"}


def test_graphql_transport_ws_must_be_initialised_in_time(port: int) -> None:
    url = f"ws://127.0.0.1:{port}/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=5) as conn:
        assert close_code(conn) == 4408


@pytest.mark.anyio
async def test_graphql_sockets_count_against_the_address_until_initialised(
    tmp_path: Path,
) -> None:
    built = sandbox(str(tmp_path), sockets={"unauthenticated_per_ip": 1})
    async with Socket(built.app, path="/graphql") as idle:
        assert (await idle.message())["type"] == "websocket.accept"
        async with Socket(built.app, path="/graphql") as refused:
            closed = await refused.message()  # before the handshake completes: HTTP 403
            assert closed["type"] == "websocket.close" and closed["code"] == 4429
        await idle.send({"type": "connection_init", "payload": {}})
        assert (await idle.receive())["type"] == "connection_ack"
        async with Socket(built.app, path="/graphql") as admitted:
            assert (await admitted.message())["type"] == "websocket.accept"
