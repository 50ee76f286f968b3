"""Rate limits in memory and in a real Redis: headers count down, 429 at the limit, recovery.

The windows are shrunk to seconds through the app's config instead of waiting an hour.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from kkapp.factory import Built
from server.auth.limits import RateLimits
from tests.auth.helpers import BASE, auth, bearer, error_code, sandbox

pytestmark = pytest.mark.anyio
WINDOW = 2
ME = "/v1/users/test_user_123"
TINY: dict[str, Any] = {
    "tiers": {
        "free": {"per_hour": 3, "window": WINDOW},
        "anonymous": {"per_hour": 2, "window": WINDOW},
    },
    "classes": {"search": {"limit": 2, "window": WINDOW}},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(exe).exists():
        pytest.fail("redis-server is not installed: `apt-get install redis-server` (.ci/run does)")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return "async+" + str(request.getfixturevalue("redis_url"))


Make = Callable[..., Built]


@pytest.fixture
async def make(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Make]:
    built: list[Built] = []

    def build_app(storage: str = "memory://", **limits: Any) -> Built:
        # The mocks answer (no database to migrate on the first request): these tests
        # count requests against windows of seconds.
        app = sandbox(
            str(tmp_path_factory.mktemp("limits")),
            handlers=False,
            rate_limits="on",
            limits={**TINY, **limits, "storage": storage},
        )
        built.append(app)
        return app

    yield build_app
    for app in built:
        limiter = app.runtime.rate_limiter
        if isinstance(limiter, RateLimits):
            await limiter.close()


def client(built: Built, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=built.app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def limit_headers(r: httpx.Response) -> tuple[int, int, int, int]:
    h = r.headers
    return (
        int(h["x-ratelimit-limit"]),
        int(h["x-ratelimit-remaining"]),
        int(h["x-ratelimit-reset"]),
        int(h["x-ratelimit-window"]),
    )


async def wait_for_reset(r: httpx.Response) -> None:
    await anyio.sleep(max(0.0, int(r.headers["x-ratelimit-reset"]) - time.time()) + 0.2)


async def test_headers_count_down_then_429_then_the_window_resets(make: Make, storage: str) -> None:
    app = make(storage)
    token = auth(app).issue_token("test_user_123", ["read:profile"])
    async with client(app) as c:
        answers = [await c.get(ME, headers=bearer(token)) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [limit_headers(r)[:2] for r in answers] == [(3, 2), (3, 1), (3, 0), (3, 0)]
        limit, _, reset, window = limit_headers(answers[0])
        assert window == WINDOW and time.time() - 1 <= reset <= time.time() + WINDOW + 1
        refused = answers[3]
        assert error_code(refused) == "RATE_LIMIT_EXCEEDED"
        retry = int(refused.headers["retry-after"])
        assert 1 <= retry <= math.ceil(reset - time.time()) + 1
        assert refused.json()["errors"][0]["meta"] == {
            "class": "account",
            "limit": 3,
            "window": WINDOW,
        }
        await wait_for_reset(refused)
        recovered = await c.get(ME, headers=bearer(token))
    assert recovered.status_code == 200 and limit_headers(recovered)[:2] == (3, 2)


async def test_anonymous_and_bad_token_requests_are_limited_per_ip(
    make: Make, storage: str
) -> None:
    app = make(storage)
    async with client(app, "10.0.0.1") as first, client(app, "10.0.0.2") as second:
        anonymous = await first.get(ME)
        bad_token = await first.get(ME, headers=bearer("forged.token.value"))
        over = await first.get(ME, headers=bearer("forged.token.value"))
        other_ip = await second.get(ME)
    assert anonymous.status_code == 401 and limit_headers(anonymous)[:2] == (2, 1)
    assert bad_token.status_code == 401 and limit_headers(bad_token)[:2] == (2, 0)
    assert over.status_code == 429 and "retry-after" in over.headers
    assert other_ip.status_code == 401 and limit_headers(other_ip)[:2] == (2, 1)


async def test_each_user_and_api_key_has_its_own_budget_by_tier(make: Make) -> None:
    app = make(tiers={**TINY["tiers"], "pro": {"per_hour": 5, "window": WINDOW}})
    services = auth(app)
    alice = services.issue_token("test_user_123", ["read:profile"])
    bob = services.issue_token("user_456", ["read:profile"])
    key = await services.api_keys.create("ops", ["read:profile"], tier="pro", subject="user_456")
    async with client(app) as c:
        for _ in range(3):
            await c.get(ME, headers=bearer(alice))
        alice_over = await c.get(ME, headers=bearer(alice))
        bob_first = await c.get("/v1/users/user_456", headers=bearer(bob))
        key_first = await c.get("/v1/users/user_456", headers=bearer(key.secret))
    assert alice_over.status_code == 429
    assert limit_headers(bob_first)[:2] == (3, 2)
    assert limit_headers(key_first)[:2] == (5, 4)


async def test_an_endpoint_class_limits_on_top_and_its_headers_win(
    make: Make, storage: str
) -> None:
    app = make(storage, tiers={**TINY["tiers"], "free": {"per_hour": 50, "window": 60}})
    token = auth(app).issue_token("test_user_123", ["read:practitioners", "read:profile"])
    async with client(app) as c:
        searches = [await c.get("/v1/practitioners", headers=bearer(token)) for _ in range(3)]
        other = await c.get(ME, headers=bearer(token))
    assert [r.status_code for r in searches] == [200, 200, 429]
    assert [limit_headers(r)[:2] for r in searches] == [(2, 1), (2, 0), (2, 0)]
    assert searches[2].json()["errors"][0]["meta"]["class"] == "search"
    assert "2 requests per 2 seconds allowed for search" in searches[2].text
    assert other.status_code == 200 and limit_headers(other)[:2] == (50, 46)


async def test_every_api_answer_carries_the_headers(make: Make) -> None:
    app = make(tiers={**TINY["tiers"], "anonymous": {"per_hour": 50, "window": 60}})
    token = auth(app).issue_token("test_user_123", ["read:profile"])
    async with client(app) as c:
        answers = {
            "404": await c.get("/v1/nowhere"),
            "405": await c.patch(ME, headers=bearer(token)),
            "graphql": await c.post(
                "/graphql", json={"query": "{ me { id } }"}, headers=bearer(token)
            ),
            "oauth error": await c.post("/oauth/token", data={"grant_type": "password"}),
            "jwks": await c.get("/.well-known/jwks.json"),
        }
        health = await c.get("/healthz")
    for name, r in answers.items():
        assert r.headers["x-ratelimit-limit"].isdigit(), name
    assert answers["oauth error"].json()["error"] == "unsupported_grant_type"
    assert "x-ratelimit-limit" not in health.headers


async def test_relaxed_multiplies_and_off_removes_the_limits(tmp_path: Path) -> None:
    relaxed = sandbox(str(tmp_path / "relaxed"), rate_limits="relaxed")
    off = sandbox(str(tmp_path / "off"), rate_limits="off")
    async with client(relaxed) as a, client(off) as b:
        r = await a.get(ME)
        s = await b.get(ME)
    assert r.status_code == 401 and limit_headers(r)[0] == 100 * 100
    assert s.status_code == 401 and "x-ratelimit-limit" not in s.headers
