"""The sandbox's published OAuth test code and refresh token (the spec's createToken examples):
reusable in `kk sandbox`, bound like real ones, unknown to `kk serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generated.api_table import TABLE
from handlers.rest.oauth import (
    SANDBOX_CLIENT,
    SANDBOX_CODE,
    SANDBOX_CODE_VERIFIER,
    SANDBOX_REDIRECT_URI,
    SANDBOX_REFRESH_TOKEN,
)
from kkapp.config import AppConfig
from kkapp.factory import Built, build
from tests.auth.helpers import auth, bearer, client, sandbox

pytestmark = pytest.mark.anyio
CODE_FORM = {
    "grant_type": "authorization_code",
    "client_id": "kk-sandbox",
    "code": SANDBOX_CODE,
    "redirect_uri": SANDBOX_REDIRECT_URI,
    "code_verifier": SANDBOX_CODE_VERIFIER,
}
REFRESH_FORM = {
    "grant_type": "refresh_token",
    "client_id": "kk-sandbox",
    "refresh_token": SANDBOX_REFRESH_TOKEN,
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield sandbox(str(tmp_path_factory.mktemp("test-credentials")))


async def _token(built: Built, form: dict[str, str]) -> httpx.Response:
    async with client(built.app) as c:
        return await c.post("/oauth/token", data=form)


def test_the_spec_examples_are_the_published_credentials() -> None:
    body = TABLE["operations"]["createToken"]["request_body"]["content"]
    examples: list[dict[str, Any]] = [
        e for media in body.values() for e in (media.get("examples") or {}).values()
    ]
    assert {e["grant_type"] for e in examples} == {"authorization_code", "refresh_token"}
    for example in examples:
        form = CODE_FORM if example["grant_type"] == "authorization_code" else REFRESH_FORM
        assert example == form


@pytest.mark.parametrize("form", [CODE_FORM, REFRESH_FORM], ids=["code", "refresh"])
async def test_a_test_credential_works_again_and_again_each_time_a_new_session(
    app: Built, form: dict[str, str]
) -> None:
    answers = [await _token(app, form) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200], answers[0].text
    sessions = set()
    for r in answers:
        identity = auth(app).tokens.verify(r.json()["access_token"])
        assert identity.subject == "test_user_123"
        claims = auth(app).tokens.peek(r.json()["access_token"]) or {}
        sessions.add(claims["sid"])
        assert r.json()["refresh_token"] != SANDBOX_REFRESH_TOKEN
    assert len(sessions) == 3


async def test_ending_one_session_of_the_test_code_leaves_the_code_and_others_working(
    app: Built,
) -> None:
    first, second = (await _token(app, CODE_FORM)).json(), (await _token(app, CODE_FORM)).json()
    async with client(app.app) as c:
        revoked = await c.post(
            "/oauth/revoke", data={"token": first["refresh_token"], "client_id": "kk-sandbox"}
        )
        # the published token itself cannot be revoked: that would break it for everyone
        published = await c.post(
            "/oauth/revoke", data={"token": SANDBOX_REFRESH_TOKEN, "client_id": "kk-sandbox"}
        )
        gone = await c.get("/v1/users/test_user_123", headers=bearer(first["access_token"]))
        kept = await c.get("/v1/users/test_user_123", headers=bearer(second["access_token"]))
    assert revoked.status_code == published.status_code == 200
    assert (gone.status_code, kept.status_code) == (401, 200)
    assert (await _token(app, CODE_FORM)).status_code == 200
    assert (await _token(app, REFRESH_FORM)).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "http://127.0.0.1:9999/callback"},
        {"code_verifier": "x" * 43},
        {"code": SANDBOX_CODE + "x"},
    ],
)
async def test_the_test_code_is_bound_like_a_real_one(app: Built, change: dict[str, str]) -> None:
    r = await _token(app, {**CODE_FORM, **change})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text


async def test_the_test_refresh_token_grants_no_scope_beyond_the_patients(app: Built) -> None:
    narrowed = await _token(app, {**REFRESH_FORM, "scope": "read:profile"})
    wider = await _token(app, {**REFRESH_FORM, "scope": "admin:platform"})
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "read:profile"
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("form", [CODE_FORM, REFRESH_FORM], ids=["code", "refresh"])
async def test_kk_serve_refuses_the_test_credentials(tmp_path: Path, form: dict[str, str]) -> None:
    strict = build(AppConfig("strict", data_dir=str(tmp_path), rate_limits="off"))
    # Even with a client of the same id registered, serve knows neither credential.
    auth(strict).clients.register(SANDBOX_CLIENT)
    r = await _token(strict, form)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", r.text
