"""Issue 15, item 13: sign-in is backed off per account (not only per IP): after five
failures an email is locked for 2, 4, 8... seconds (at most 15 minutes) with a 429 naming
the wait; and X-Forwarded-For counts only from `--trusted-proxies` / KK_TRUSTED_PROXIES."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kkapp.config import AppConfig
from kkapp.factory import build
from kkcore.errors import RateLimitExceeded
from server.auth.backoff import LoginBackoff
from tests.auth.helpers import PASSWORD, USER, hidden_fields, pkce
from tests.security.support import client, sandbox

pytestmark = pytest.mark.anyio


async def sign_in(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    _, challenge = pkce()
    page = await c.get(
        "/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": "kk-sandbox",
            "redirect_uri": "http://127.0.0.1:8765/callback",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    form = {**hidden_fields(page.text), "email": email, "password": password}
    return await c.post("/oauth/authorize", data=form)


async def test_five_wrong_passwords_lock_the_account_not_the_others(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    async with client(built.app) as c:
        for _ in range(5):
            wrong = await sign_in(c, USER, "not-the-password")
            assert wrong.status_code == 200 and "Wrong email or password" in wrong.text
        locked = await sign_in(c, USER, PASSWORD)  # even the right password waits
        assert locked.status_code == 429, locked.text
        error = locked.json()["errors"][0]
        assert error["code"] == "RATE_LIMIT_EXCEEDED"
        assert "Too many failed sign-ins for this account" in error["detail"]
        assert 1 <= int(locked.headers["retry-after"]) <= 2
        other = await sign_in(c, "test.practitioner@klearkarma.com", PASSWORD)
        assert other.status_code == 302  # another account is not affected


@settings(max_examples=10, deadline=None)
@given(failures=st.integers(3, 12))
async def test_each_failure_past_the_free_ones_doubles_the_lock(failures: int) -> None:
    backoff = LoginBackoff(free=3, base=2, cap=60)
    for _ in range(failures):
        await backoff.failed("Someone@Example.com")
    with pytest.raises(RateLimitExceeded) as raised:
        await backoff.check("someone@example.com ")  # the same account, however written
    assert raised.value.headers["Retry-After"] == str(min(60, 2 * 2 ** (failures - 3)))
    await backoff.succeeded("someone@example.com")
    await backoff.check("someone@example.com")  # cleared


async def test_fewer_failures_than_the_free_ones_do_not_lock() -> None:
    backoff = LoginBackoff(free=5)
    for _ in range(4):
        await backoff.failed("a@example.com")
    await backoff.check("a@example.com")


def limited(tmp_path: Path, **config: Any) -> Any:
    tiny = {"tiers": {"anonymous": {"per_hour": 2, "burst": 2}}}
    return build(
        AppConfig("sandbox", data_dir=str(tmp_path), handlers=False, limits=tiny, **config)
    ).app


async def spend(app: Any, forwarded_for: str) -> int:
    transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/v1/practitioners", headers={"X-Forwarded-For": forwarded_for})
    return r.status_code


async def test_x_forwarded_for_names_the_client_behind_a_trusted_proxy(tmp_path: Path) -> None:
    app = limited(tmp_path, trusted_proxies="10.0.0.0/24")
    assert [await spend(app, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert await spend(app, "203.0.113.2") == 401  # another client, its own budget


async def test_x_forwarded_for_is_ignored_without_trusted_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KK_TRUSTED_PROXIES", raising=False)
    app = limited(tmp_path)
    assert [await spend(app, "203.0.113.1") for _ in range(2)] == [401, 401]
    assert await spend(app, "203.0.113.2") == 429  # forged header: still the proxy's budget


async def test_trusted_proxies_come_from_the_environment_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KK_TRUSTED_PROXIES", "10.0.0.9")
    app = limited(tmp_path)
    assert [await spend(app, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert await spend(app, "203.0.113.2") == 401
