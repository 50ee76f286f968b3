"""The whole authorization-code + PKCE flow, driven by a real OAuth client (authlib)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from starlette.testclient import TestClient

from kkapp.factory import Built
from tests.auth.helpers import (
    BASE,
    PASSWORD,
    REDIRECT,
    USER,
    bearer,
    hidden_fields,
    looks_like_jwt,
    sandbox,
)

pytestmark = pytest.mark.anyio
SCOPE = "read:profile read:bookings read:messages read:practitioners"
ME = "/v1/users/test_user_123"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield sandbox(str(tmp_path_factory.mktemp("flow")))


def oauth_client(built: Built) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id="kk-sandbox",
        scope=SCOPE,
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
        revocation_endpoint_auth_method="none",
        transport=httpx2.ASGITransport(app=built.app),  # authlib's client is httpx2-based
        base_url=BASE,
    )


async def sign_in(client: AsyncOAuth2Client) -> dict[str, Any]:
    """Login form -> code -> token, as a browser-based app would do it."""
    verifier = generate_token(64)
    url, state = client.create_authorization_url(BASE + "/oauth/authorize", code_verifier=verifier)
    page = await client.request("GET", url, withhold_token=True)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'name="email"' in page.text and 'name="password"' in page.text
    fields = hidden_fields(page.text)
    assert fields["code_challenge_method"] == "S256" and fields["state"] == state
    answer = await client.request(
        "POST",
        "/oauth/authorize",
        data={**fields, "email": USER, "password": PASSWORD},
        withhold_token=True,
    )
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?") and f"state={state}" in location
    token: dict[str, Any] = await client.fetch_token(
        BASE + "/oauth/token", authorization_response=location, code_verifier=verifier
    )
    return token


def websocket_checks(built: Built, access_token: str) -> tuple[dict[str, Any], ...]:
    """/ws `auth` frame and graphql-transport-ws `connection_init` with the same token."""
    with TestClient(built.app) as tc:
        with tc.websocket_connect("/ws") as ws:
            ws.send_json({"type": "auth", "token": "not-a-token"})
            refused = ws.receive_json()
            ws.send_json({"type": "auth", "token": access_token})
            accepted = ws.receive_json()
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as gql:
            gql.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {access_token}"}}
            )
            ack = gql.receive_json()
            # The token has no write:bookings: the mutation is refused by its scope, which
            # shows that the connection carries the caller's identity.
            gql.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {
                        "query": 'mutation { cancelBooking(input: {bookingId: "booking_123"})'
                        " { booking { id } } }",
                    },
                }
            )
            answer = gql.receive_json()
    return refused, accepted, ack, answer


async def test_a_frontend_signs_in_with_pkce_and_calls_rest_graphql_and_websockets(
    app: Built,
) -> None:
    async with oauth_client(app) as client:
        token = await sign_in(client)
        assert token["token_type"] == "Bearer" and token["expires_in"] == 3600
        assert set(token["scope"].split()) == set(SCOPE.split())
        assert looks_like_jwt(token["access_token"])

        rest = await client.get(ME)
        assert rest.status_code == 200, rest.text
        assert int(rest.headers["x-ratelimit-remaining"]) < int(rest.headers["x-ratelimit-limit"])

        gql = await client.post("/graphql", json={"query": '{ user(id: "test_user_123") { id } }'})
        assert gql.status_code == 200 and "errors" not in gql.json(), gql.text

    refused, accepted, ack, answer = await anyio.to_thread.run_sync(
        websocket_checks, app, token["access_token"]
    )
    assert refused["type"] == "error" and refused["code"] == "INVALID_TOKEN"
    assert accepted == {
        "type": "auth_ok",
        "user_id": "test_user_123",
        "scopes": sorted(SCOPE.split()),
    }
    assert ack["type"] == "connection_ack"
    payload = answer["payload"]
    errors = payload if isinstance(payload, list) else payload["errors"]
    assert "INSUFFICIENT_PERMISSIONS" in [e["extensions"]["code"] for e in errors]


async def test_refresh_rotates_and_reusing_a_rotated_token_revokes_the_session(
    app: Built,
) -> None:
    async with oauth_client(app) as client:
        first = await sign_in(client)
        second = await client.refresh_token(BASE + "/oauth/token")
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        assert (await client.get(ME)).status_code == 200

        with pytest.raises(OAuthError) as reuse:  # the rotated token, presented again
            await client.refresh_token(BASE + "/oauth/token", refresh_token=first["refresh_token"])
        assert reuse.value.error == "invalid_grant"

        # The whole family is gone: the newest access and refresh tokens too.
        after = await client.get(ME)
        assert after.status_code == 401 and after.json()["errors"][0]["code"] == "INVALID_TOKEN"
        with pytest.raises(OAuthError):
            await client.refresh_token(BASE + "/oauth/token", refresh_token=second["refresh_token"])


async def test_revoking_the_refresh_token_ends_the_session(app: Built) -> None:
    async with oauth_client(app) as client:
        token = await sign_in(client)
        revoked = await client.revoke_token(
            BASE + "/oauth/revoke", token=token["refresh_token"], token_type_hint="refresh_token"
        )
        assert revoked.status_code == 200
        assert (await client.get(ME)).status_code == 401
        with pytest.raises(OAuthError):
            await client.refresh_token(BASE + "/oauth/token")


async def test_revoking_an_access_token_leaves_the_refresh_token_working(app: Built) -> None:
    async with oauth_client(app) as client:
        token = await sign_in(client)
        r = await client.revoke_token(BASE + "/oauth/revoke", token=token["access_token"])
        assert r.status_code == 200
        assert (await client.get(ME)).status_code == 401
        fresh = await client.refresh_token(BASE + "/oauth/token")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app.app), base_url=BASE
        ) as plain:
            assert (await plain.get(ME, headers=bearer(fresh["access_token"]))).status_code == 200


async def test_revoking_an_unknown_token_is_still_200(app: Built) -> None:
    async with oauth_client(app) as client:
        r = await client.revoke_token(BASE + "/oauth/revoke", token="kkr_never-issued")
    assert r.status_code == 200


async def test_discovery_documents_describe_this_server(app: Built) -> None:
    async with oauth_client(app) as client:
        meta = (
            await client.request(
                "GET", "/.well-known/oauth-authorization-server", withhold_token=True
            )
        ).json()
        jwks = (await client.request("GET", "/.well-known/jwks.json", withhold_token=True)).json()
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["token_endpoint"].endswith("/oauth/token")
    assert {"admin:users", "write:practitioners", "read:profile"} <= set(meta["scopes_supported"])
    assert [k["alg"] for k in jwks["keys"]] == ["RS256"] and jwks["keys"][0]["kid"]


def test_keys_live_in_the_data_directory_and_survive_a_restart(tmp_path: Path) -> None:
    first = sandbox(str(tmp_path))
    again = sandbox(str(tmp_path))
    pems = list((tmp_path / "keys").glob("*.pem"))
    assert len(pems) == 1 and pems[0].stat().st_mode & 0o777 == 0o600
    kid = first.runtime.extras["auth"].keys.current.kid
    assert again.runtime.extras["auth"].keys.current.kid == kid


async def test_a_revocation_reaches_other_workers_sharing_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.auth import store

    monkeypatch.setattr(store, "SYNC_INTERVAL", 0.0)  # instead of waiting up to 5 s
    worker_a, worker_b = sandbox(str(tmp_path)), sandbox(str(tmp_path))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_a.app), base_url=BASE) as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=worker_b.app), base_url=BASE) as b,
    ):
        token = worker_a.runtime.extras["auth"].issue_token("test_user_123", ["read:profile"])
        assert (await b.get(ME, headers=bearer(token))).status_code == 200
        assert (await a.post("/oauth/revoke", data={"token": token})).status_code == 200
        assert (await b.get(ME, headers=bearer(token))).status_code == 401
