"""Attacks on API keys and the OAuth flow (codes, PKCE, redirect URIs, clients, scopes): the
right 4xx every time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkapp.factory import Built
from tests.auth.helpers import (
    PRACTITIONER,
    REDIRECT,
    auth,
    authorize_params,
    bearer,
    client,
    code_for,
    error_code,
    hidden_fields,
    login,
    pkce,
    query_of,
    sandbox,
)

pytestmark = pytest.mark.anyio
ME = "/v1/users/test_user_123"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield sandbox(str(tmp_path_factory.mktemp("attacks-oauth")))


async def test_api_keys_carry_their_scopes_and_stop_working_when_revoked(app: Built) -> None:
    keys = auth(app).api_keys
    new = await keys.create("crm", ["read:profile"], tier="pro", subject="test_user_123")
    async with client(app.app) as c:
        ok = await c.get(ME, headers=bearer(new.secret))
        scoped = await c.get("/v1/users/test_user_123/bookings", headers=bearer(new.secret))
        await keys.revoke(new.key.id)
        revoked = await c.get(ME, headers=bearer(new.secret))
        unknown = await c.get(ME, headers=bearer("kk_live_" + "x" * 43))
    assert ok.status_code == 200 and ok.headers["x-ratelimit-limit"] == "10000000"  # pro x100
    assert scoped.status_code == 403
    assert revoked.status_code == 401 and error_code(revoked) == "INVALID_TOKEN"
    assert unknown.status_code == 401


# -- the OAuth flow -------------------------------------------------------------------------


async def test_a_code_works_once_and_reusing_it_revokes_what_it_issued(app: Built) -> None:
    verifier, challenge = pkce()
    async with client(app.app) as c:
        code = await code_for(c, challenge)
        form = {
            "grant_type": "authorization_code",
            "client_id": "kk-sandbox",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        first = await c.post("/oauth/token", data=form)
        again = await c.post("/oauth/token", data=form)
        me = await c.get(ME, headers=bearer(first.json()["access_token"]))
    assert first.status_code == 200
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert again.headers["cache-control"] == "no-store"
    assert me.status_code == 401


async def test_a_wrong_verifier_or_redirect_uri_or_client_gets_invalid_grant(app: Built) -> None:
    async with client(app.app) as c:
        for change in (
            {"code_verifier": pkce()[0]},
            {"redirect_uri": "http://127.0.0.1:9999/other"},
            {"code_verifier": "short"},
        ):
            verifier, challenge = pkce()
            code = await code_for(c, challenge)
            form = {
                "grant_type": "authorization_code",
                "client_id": "kk-sandbox",
                "code": code,
                "redirect_uri": REDIRECT,
                "code_verifier": verifier,
                **change,
            }
            r = await c.post("/oauth/token", data=form)
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant", change


async def test_an_unknown_client_is_invalid_client(app: Built) -> None:
    async with client(app.app) as c:
        r = await c.post(
            "/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": "YOUR_CLIENT_ID",
                "code": "AUTHORIZATION_CODE",
                "redirect_uri": "YOUR_REDIRECT_URI",
                "code_verifier": "CODE_VERIFIER",
            },
        )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


async def test_malformed_token_requests_get_rfc6749_errors_not_error_documents(
    app: Built,
) -> None:
    async with client(app.app) as c:
        missing = await c.post(
            "/oauth/token", json={"grant_type": "authorization_code", "client_id": "kk-sandbox"}
        )
        password = await c.post(
            "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"}
        )
        not_a_form = await c.post(
            "/oauth/token", content=b"{", headers={"content-type": "application/json"}
        )
    assert missing.status_code == 400 and missing.json() == {
        "error": "invalid_request",
        "error_description": "Missing parameter code redirect_uri code_verifier",
    }
    assert password.json()["error"] == "unsupported_grant_type"
    assert not_a_form.status_code == 400 and not_a_form.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "redirect_uri",
    ["https://evil.example/cb", "http://evil.example/cb", "http://127.0.0.1.evil.example/cb"],
)
async def test_an_unregistered_redirect_uri_gets_a_page_not_a_redirect(
    app: Built, redirect_uri: str
) -> None:
    params = authorize_params(pkce()[1], redirect_uri=redirect_uri)
    async with client(app.app) as c:
        r = await c.get("/oauth/authorize", params=params)
        bad_pkce = await c.get(
            "/oauth/authorize", params={**params, "code_challenge_method": "plain"}
        )
    for answer in (r, bad_pkce):
        assert answer.status_code == 400 and "location" not in answer.headers
        assert answer.headers["content-type"].startswith("text/html")
        assert "invalid_request" in answer.text


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,8}){1,2}", fullmatch=True),
    scheme=st.sampled_from(["http", "https"]),
)
def test_no_non_loopback_redirect_uri_is_trusted_for_the_public_client(
    app: Built, host: str, scheme: str
) -> None:
    params = {"client_id": "kk-sandbox", "redirect_uri": f"{scheme}://{host}/cb"}
    assert auth(app).oauth.trusted_redirect(params) is None


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:3000/cb", "http://localhost:5173/", "http://[::1]:8080/x?y=1"]
)
def test_any_loopback_redirect_uri_is_trusted_for_the_public_client(app: Built, uri: str) -> None:
    assert auth(app).oauth.trusted_redirect({"client_id": "kk-sandbox", "redirect_uri": uri}) == uri


async def test_plain_pkce_is_refused_with_a_redirect_error(app: Built) -> None:
    params = authorize_params(pkce()[1], code_challenge_method="plain")
    async with client(app.app) as c:
        r = await c.get("/oauth/authorize", params=params)
        posted = await c.post(
            "/oauth/authorize",
            data={**params, "email": "test.user@klearkarma.com", "password": "TestPassword123!"},
        )
    for answer in (r, posted):
        assert answer.status_code == 302
        query = query_of(answer.headers["location"])
        assert query["error"] == "invalid_request" and "S256" in query["error_description"]
        assert query["state"] == "st4te" and "code" not in query


async def test_wrong_credentials_show_the_form_again(app: Built) -> None:
    params = authorize_params(pkce()[1])
    async with client(app.app) as c:
        page = await c.get("/oauth/authorize", params=params)
        r = await c.post(
            "/oauth/authorize",
            data={**hidden_fields(page.text), "email": PRACTITIONER, "password": "nope"},
        )
    assert r.status_code == 200 and "Wrong email or password." in r.text
    assert hidden_fields(r.text) == hidden_fields(page.text)
    assert r.headers["x-frame-options"] == "DENY"


async def test_scopes_beyond_the_user_or_the_grant_are_refused(app: Built) -> None:
    async with client(app.app) as c:
        params = authorize_params(pkce()[1], scope="read:profile admin:platform")
        page = await c.get("/oauth/authorize", params=params)
        escalate = await c.post(
            "/oauth/authorize",
            data={
                **hidden_fields(page.text),
                "email": "test.user@klearkarma.com",
                "password": "TestPassword123!",
            },
        )
        tokens = await login(c, scope="read:profile")
        refresh = await c.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "kk-sandbox",
                "refresh_token": tokens["refresh_token"],
                "scope": "read:profile read:health_records",
            },
        )
        narrower = await c.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": "kk-sandbox",
                "refresh_token": tokens["refresh_token"],
                "scope": "read:profile",
            },
        )
    assert escalate.status_code == 302
    assert query_of(escalate.headers["location"])["error"] == "invalid_scope"
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_scope"
    # The refused request did not use up the refresh token.
    assert narrower.status_code == 200 and narrower.json()["scope"] == "read:profile"


# -- object-level access (x-owner) ----------------------------------------------------------
