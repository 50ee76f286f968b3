"""Browser origins: loopback ones in sandbox and mock, plus `--cors-origin` (repeatable) and
KK_CORS_ORIGINS (comma-separated) for a phone on the LAN or a cloud IDE."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kkapp.cli import main
from kkapp.config import AppConfig, cors_origins
from kkapp.factory import build
from kkcore.errors import StartupError
from tests.engine import client

pytestmark = pytest.mark.anyio
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization",
}


async def allowed(app: object, origin: str) -> bool:
    async with client(app) as c:
        r = await c.options("/v1/bookings", headers={"Origin": origin, **PREFLIGHT})
    return r.headers.get("access-control-allow-origin") == origin


async def test_given_origins_are_allowed_next_to_the_loopback_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KK_CORS_ORIGINS", "https://ide.example.dev, http://10.0.0.9:3000")
    app = build(AppConfig("mock", cors_origins=["http://192.168.1.20:5173"])).app
    for origin in (
        "http://192.168.1.20:5173",
        "https://ide.example.dev",
        "http://10.0.0.9:3000",
        "http://localhost:5173",
    ):
        assert await allowed(app, origin), origin
    assert not await allowed(app, "http://192.168.1.21:5173")


async def test_production_allows_only_the_given_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KK_CORS_ORIGINS", raising=False)
    app = build(AppConfig("strict", cors_origins=["https://app.example.com"])).app
    assert await allowed(app, "https://app.example.com")
    assert not await allowed(app, "http://localhost:5173")


@pytest.mark.parametrize("origin", ["*", "192.168.1.20:5173", "http://x.test/path", "ftp://x"])
def test_something_that_is_not_an_origin_is_refused_at_start_up(
    origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KK_CORS_ORIGINS", raising=False)
    with pytest.raises(StartupError, match="not a browser origin"):
        cors_origins([origin])
    monkeypatch.setenv("KK_CORS_ORIGINS", origin)
    result = CliRunner().invoke(main, ["mock", "--port", "1"])
    assert result.exit_code == 1 and "not a browser origin" in result.output
