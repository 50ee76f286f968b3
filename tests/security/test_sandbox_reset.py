"""Issue 15, item 16: `POST /__sandbox/reset` wipes the sandbox's data, so another site must
not be able to trigger it from a visitor's browser: it needs `X-KK-Sandbox-Reset: 1` or a
valid bearer token (neither can ride on a simple cross-origin request, and CORS refuses other
sites' preflights), and it spends the `sandbox_reset` rate-limit class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kkapp.factory import Built
from tests.security.support import client, sandbox

pytestmark = pytest.mark.anyio
RESET = "/__sandbox/reset"
KEY = "kk_test_sandbox_key_for_local_development_only"


def counted(built: Built) -> list[int]:
    """Resets that really happened (the hooks run after the store's own reset)."""
    calls: list[int] = []
    built.parts.resets.append(lambda: calls.append(1))
    return calls


async def test_a_simple_cross_origin_post_cannot_reset(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    resets = counted(built)
    async with client(built.app) as c:
        r = await c.post(
            RESET,
            content=b"x",
            headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
        )
        forged = await c.post(RESET, headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 403, r.text
    assert "X-KK-Sandbox-Reset: 1" in r.json()["errors"][0]["detail"]
    assert forged.status_code == 403
    assert resets == []


async def test_the_header_or_a_valid_token_resets(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    resets = counted(built)
    async with client(built.app) as c:
        by_header = await c.post(RESET, headers={"X-KK-Sandbox-Reset": "1"})
        by_token = await c.post(RESET, headers={"Authorization": f"Bearer {KEY}"})
    assert (by_header.status_code, by_token.status_code) == (200, 200)
    assert len(resets) == 2


async def test_other_sites_cannot_get_past_the_preflight(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    preflight: dict[str, Any] = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-kk-sandbox-reset",
    }
    async with client(built.app) as c:
        evil = await c.options(RESET, headers={**preflight, "Origin": "https://evil.example"})
        local = await c.options(RESET, headers={**preflight, "Origin": "http://localhost:5173"})
    assert evil.status_code == 400 and "access-control-allow-origin" not in evil.headers
    assert local.status_code == 200
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"


async def test_resets_spend_their_rate_limit_class(tmp_path: Path) -> None:
    tiny = {"classes": {"sandbox_reset": {"limit": 2, "per": "minute"}}}
    built = sandbox(str(tmp_path), rate_limits="on", limits=tiny)
    async with client(built.app) as c:
        answers = [await c.post(RESET, headers={"X-KK-Sandbox-Reset": "1"}) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "2"
    assert answers[2].json()["errors"][0]["code"] == "RATE_LIMIT_EXCEEDED"
    assert "retry-after" in answers[2].headers
