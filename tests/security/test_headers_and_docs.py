"""Issue 15, item 11: every answer carries `X-Content-Type-Options: nosniff`; API answers
carry `Cache-Control: no-store` unless they set their own caching, static docs assets do not;
`kk serve` serves no Swagger UI unless asked (`--docs`, KK_DOCS=1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build
from tests.security.support import client, sandbox

pytestmark = pytest.mark.anyio


async def test_api_answers_are_nosniff_and_no_store(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    async with client(built.app) as c:
        for r in (
            await c.get("/v1/practitioners"),  # 401: an error is an API answer too
            await c.get("/healthz"),
            await c.get("/v1/nowhere"),
            await c.get(
                "/v1/practitioners",
                headers={"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"},
            ),
        ):
            assert r.headers["x-content-type-options"] == "nosniff", r.url
            assert r.headers["cache-control"] == "no-store", r.url


async def test_answers_with_their_own_caching_and_docs_assets_keep_it(tmp_path: Path) -> None:
    built = sandbox(str(tmp_path))
    async with client(built.app) as c:
        jwks = await c.get("/.well-known/jwks.json")
        css = await c.get("/docs/static/swagger-ui.css")
        spec = await c.get("/openapi.yaml")
    assert jwks.headers["cache-control"] == "public, max-age=300"
    for r in (jwks, css, spec):
        assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in css.headers.get("cache-control", "")
    assert "no-store" not in spec.headers.get("cache-control", "")


async def test_serve_has_no_swagger_ui_unless_enabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KK_DOCS", raising=False)
    off = build(AppConfig("strict", data_dir=str(tmp_path / "a"), rate_limits="off"))
    monkeypatch.setenv("KK_DOCS", "1")
    by_env = build(AppConfig("strict", data_dir=str(tmp_path / "b"), rate_limits="off"))
    monkeypatch.delenv("KK_DOCS")
    by_flag = build(AppConfig("strict", data_dir=str(tmp_path / "c"), rate_limits="off", docs=True))
    async with client(off.app) as c:
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/docs/static/swagger-ui.css")).status_code == 404
        assert (await c.get("/openapi.yaml")).status_code == 200  # the contract stays public
    for built in (by_env, by_flag):
        async with client(built.app) as c:
            assert (await c.get("/docs")).status_code == 200


async def test_the_sandbox_keeps_its_docs(tmp_path: Path) -> None:
    async with client(sandbox(str(tmp_path)).app) as c:
        assert (await c.get("/docs")).status_code == 200


def test_serve_and_sandbox_document_the_network_options() -> None:
    for command in ("serve", "sandbox"):
        text = CliRunner().invoke(main, [command, "--help"], terminal_width=200).output
        for option in (
            "--trusted-proxies",
            "--docs / --no-docs",
            "--ws-max-size",
            "--header-timeout",
            "--max-headers",
            "--limit-concurrency",
        ):
            assert option in text, (command, option)
        assert "KK_TRUSTED_PROXIES" in text
