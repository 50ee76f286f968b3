"""Issue 15, item 15 (REST and /ws): JSON nested deeper than 64 levels is a 400 naming the
bound (it was a 500 from the validator's recursion), a /ws frame likewise gets an error frame
and the socket stays open; a redirect_uri with CR/LF is refused with a clear 400 page, never a
dropped connection (it used to reach the Location header)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkapp.factory import Built
from server.jsondepth import MAX_DEPTH, too_deep
from tests.security.live import served
from tests.security.support import client, sandbox
from tests.sockets import Socket

pytestmark = pytest.mark.anyio
KEY = {"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"}
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return sandbox(str(tmp_path_factory.mktemp("crash")))


def nested(depth: int, kind: str) -> str:
    inner = "[" * depth + "]" * depth if kind == "array" else '{"a":' * depth + "1" + "}" * depth
    return '{"data":{"type":"bookings","attributes":' + inner + "}}"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(depth=st.integers(MAX_DEPTH, 1000), kind=st.sampled_from(["array", "object"]))
async def test_a_body_nested_past_the_bound_is_a_400_naming_it(
    built: Built, depth: int, kind: str
) -> None:
    async with client(built.app) as c:
        r = await c.post(
            "/v1/bookings",
            content=nested(depth, kind),
            headers={**KEY, "Content-Type": "application/json"},
        )
    assert r.status_code == 400, r.text
    assert (
        r.json()["errors"][0]["detail"] == f"The request body nests deeper than {MAX_DEPTH} levels"
    )


async def test_a_body_within_the_bound_is_validated_as_usual(built: Built) -> None:
    async with client(built.app) as c:
        r = await c.post(
            "/v1/bookings",
            content=nested(MAX_DEPTH - 3, "object"),
            headers={**KEY, "Content-Type": "application/json"},
        )
    assert r.status_code == 422, r.text  # a schema error, not the depth bound


@given(depth=st.integers(0, 200))
def test_the_depth_check_agrees_with_a_plain_count(depth: int) -> None:
    value: object = 1
    for _ in range(depth):
        value = [value]
    raw = "[" * depth + "1" + "]" * depth
    assert too_deep(raw, value) is (depth > MAX_DEPTH)


async def test_a_ws_frame_nested_1000_levels_gets_an_error_and_the_socket_stays(
    built: Built,
) -> None:
    async with Socket(built.app) as ws:
        await ws.to_app.put({"type": "websocket.receive", "text": "[" * 1000 + "]" * 1000})
        refused = await ws.receive()
        assert refused["code"] == "VALIDATION_ERROR" and "64 levels" in refused["detail"]
        await ws.send({"type": "ping"})
        assert await ws.receive() == {"type": "pong"}


@pytest.fixture(scope="module")
def live(built: Built) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp, served(built.app, mp) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("evil", ["\r\nSet-Cookie: a=b", "\n", "\r", "\t", "\x7f"])
def test_a_redirect_uri_with_control_characters_is_a_clear_400(live: str, evil: str) -> None:
    params = {
        "response_type": "code",
        "client_id": "kk-sandbox",
        "redirect_uri": f"http://127.0.0.1:8765/callback{evil}",
        "state": "s",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    with httpx.Client(base_url=live) as c:
        for r in (
            c.get("/oauth/authorize", params=params),
            c.post(
                "/oauth/authorize",
                data={
                    **params,
                    "email": "test.user@klearkarma.com",
                    "password": "TestPassword123!",
                },
            ),
        ):
            assert r.status_code == 400, r.text
            assert "location" not in r.headers
            assert "contains control characters" in r.text
