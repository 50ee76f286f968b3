"""What the assembled app serves besides operations: docs, spec, CORS, logs, the CLI."""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner

from generated.api_table import TABLE
from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build
from tests.engine import ROOT, client, engine_app

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Any:
    return build(AppConfig("sandbox")).app


EXTERNAL = re.compile(r"""(src|href)=["']?(https?:)?//""")


async def test_the_spec_is_served_as_yaml_and_json(sandbox: Any) -> None:
    async with client(sandbox) as c:
        as_yaml = await c.get("/openapi.yaml")
        as_json = await c.get("/openapi.json")
    assert as_yaml.content == (ROOT / "spec" / "openapi.yaml").read_bytes()
    assert orjson.loads(as_json.content) == yaml.safe_load(as_yaml.content)


async def test_sandbox_allows_browser_calls_from_localhost_origins_only(sandbox: Any) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    async with client(sandbox) as c:
        local = await c.options(
            "/v1/bookings", headers={"Origin": "http://localhost:5173", **preflight}
        )
        remote = await c.options(
            "/v1/bookings", headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await c.get("/healthz", headers={"Origin": "http://127.0.0.1:3000"})
    assert local.status_code == 200
    assert local.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "access-control-allow-origin" not in remote.headers
    assert "X-Request-ID" in simple.headers["access-control-expose-headers"]


async def test_strict_mode_sends_no_cors_headers() -> None:
    strict = build(AppConfig("strict")).app
    async with client(strict) as c:
        r = await c.get("/healthz", headers={"Origin": "http://localhost:5173"})
    assert "access-control-allow-origin" not in r.headers


async def test_each_request_logs_one_structured_line(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = engine_app("minimal31")
    app.log_requests = True
    with caplog.at_level(logging.INFO, logger="kk.access"):
        async with client(app) as c:
            await c.get("/api/items/7", headers={"X-Request-ID": "log-me"})
    lines = [orjson.loads(r.getMessage()) for r in caplog.records if r.name == "kk.access"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == "log-me" and lines[0]["status"] == 200
    assert lines[0]["method"] == "GET" and lines[0]["path"] == "/api/items/7"
    assert lines[0]["duration_ms"] >= 0


def test_kk_routes_lists_every_operation_with_scopes_and_rate_class() -> None:
    result = CliRunner().invoke(main, ["routes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:4] == ["METHOD", "PATH", "OPERATION", "SCOPES"]
    search = next(line for line in lines if " searchPractitioners " in line)
    assert search.split()[:5] == [
        "GET",
        "/v1/practitioners",
        "searchPractitioners",
        "read:practitioners",
        "search",
    ]
    assert "/handlers/rest/practitioners.py:" in search.split()[5]  # answered by the handler


def test_kk_routes_shows_no_mock_left_in_serve_mode() -> None:
    result = CliRunner().invoke(main, ["routes", "--mode", "strict"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[1:] if line.strip()]
    assert len(rows) == len(TABLE["operations"])
    assert all("/handlers/" in row[-1] for row in rows), [
        r for r in rows if "/handlers/" not in r[-1]
    ]


def test_every_command_has_a_help_text() -> None:
    for command in ["generate", "sandbox", "mock", "serve", "routes"]:
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output
        assert len(result.output.splitlines()) > 4
