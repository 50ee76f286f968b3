"""Attacks on tokens and on object-level access: the right 4xx every time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkapp.factory import Built
from kkcore.errors import InvalidToken
from server.auth.tokens import AccessTokens
from tests.auth.helpers import (
    PRACTITIONER,
    auth,
    bearer,
    client,
    error_code,
    login,
    sandbox,
)

pytestmark = pytest.mark.anyio
ME = "/v1/users/test_user_123"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield sandbox(str(tmp_path_factory.mktemp("attacks")))


def tokens_of(built: Built) -> AccessTokens:
    return auth(built).tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(built: Built, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "test_user_123",
        "iss": tokens_of(built).issuer,
        "aud": tokens_of(built).audience,
        "iat": now,
        "exp": now + 600,
        "scope": "read:profile",
        "user_type": "patient",
        "verified": True,
    }
    return {**base, **changes}


def signed(built: Built, **changes: Any) -> str:
    key = tokens_of(built).keys.current
    return jwt.encode(claims(built, **changes), key.private, "RS256", headers={"kid": key.kid})


async def get_me(built: Built, token: str) -> httpx.Response:
    async with client(built.app) as c:
        return await c.get(ME, headers=bearer(token))


# -- tokens ---------------------------------------------------------------------------------


async def test_a_well_formed_token_of_this_server_is_accepted(app: Built) -> None:
    assert (await get_me(app, signed(app))).status_code == 200


@pytest.mark.parametrize(
    ("case", "changes"),
    [
        ("expired", {"exp": int(time.time()) - 5, "iat": int(time.time()) - 3605}),
        ("wrong audience", {"aud": "https://api.klearkarma.com"}),
        ("wrong issuer", {"iss": "https://evil.example"}),
    ],
)
async def test_expired_or_foreign_tokens_are_invalid(
    app: Built, case: str, changes: dict[str, Any]
) -> None:
    r = await get_me(app, signed(app, **changes))
    assert r.status_code == 401 and error_code(r) == "INVALID_TOKEN", case
    assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


async def test_alg_none_is_refused(app: Built) -> None:
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{header}.{b64(json.dumps(claims(app)).encode())}."
    r = await get_me(app, token)
    assert r.status_code == 401 and error_code(r) == "INVALID_TOKEN"


async def test_hs256_signed_with_the_public_key_is_refused(app: Built) -> None:
    """Key confusion: the attacker "signs" with the public key as an HMAC secret."""
    key = tokens_of(app).keys.current
    public_pem = key.public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64(json.dumps(claims(app, scope="admin:platform")).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    r = await get_me(app, f"{header}.{payload}.{b64(signature)}")
    assert r.status_code == 401 and error_code(r) == "INVALID_TOKEN"


async def test_a_token_signed_by_another_key_with_our_kid_is_refused(app: Built) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = tokens_of(app).keys.current.kid
    token = jwt.encode(claims(app), other, "RS256", headers={"kid": kid})
    r = await get_me(app, token)
    assert r.status_code == 401 and error_code(r) == "INVALID_TOKEN"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_changing_any_character_of_a_token_invalidates_it(app: Built, data: st.DataObject) -> None:
    token = signed(app)
    i = data.draw(st.integers(0, len(token) - 1).filter(lambda i: token[i] != "."))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    c = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[i]))
    tampered = token[:i] + c + token[i + 1 :]
    # The last base64url character may carry only padding bits: same bytes, same token.
    if b64_decodes_same(token, tampered):
        return
    with pytest.raises(InvalidToken):
        tokens_of(app).verify(tampered)


def b64_decodes_same(a: str, b: str) -> bool:
    def raw(t: str) -> list[bytes]:
        try:
            return [base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)) for p in t.split(".")]
        except ValueError:
            return [t.encode()]

    return raw(a) == raw(b)


async def test_missing_malformed_and_underscoped_credentials(app: Built) -> None:
    async with client(app.app) as c:
        missing = await c.get(ME)
        basic = await c.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"})
        garbage = await c.get(ME, headers=bearer("not.a.jwt"))
        scoped = await c.get("/v1/bookings/booking_123", headers=bearer(signed(app)))
    assert missing.status_code == 401 and error_code(missing) == "AUTHENTICATION_REQUIRED"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert basic.status_code == 401 and error_code(basic) == "INVALID_TOKEN"
    assert garbage.status_code == 401 and error_code(garbage) == "INVALID_TOKEN"
    assert scoped.status_code == 403 and error_code(scoped) == "INSUFFICIENT_PERMISSIONS"
    assert "read:bookings" in scoped.json()["errors"][0]["detail"]


def user_token(built: Built, subject: str, *scopes: str, **claims: Any) -> str:
    return auth(built).issue_token(subject, scopes or ("read:profile",), **claims)


async def test_a_user_reads_only_their_own_user_and_health_profile(app: Built) -> None:
    mine = user_token(app, "test_user_123", "read:profile", "read:health_records")
    other = user_token(app, "user_456", "read:profile", "read:health_records")
    admin = user_token(app, "admin_1", "read:profile", "read:health_records", "admin:users")
    url = "/v1/users/test_user_123/health_profile"
    async with client(app.app) as c:
        own = await c.get(url, headers=bearer(mine))
        theirs = await c.get(url, headers=bearer(other))
        their_user = await c.get("/v1/users/test_user_123", headers=bearer(other))
        admin_read = await c.get(url, headers=bearer(admin))
    assert own.status_code == 200
    assert theirs.status_code == 403 and error_code(theirs) == "INSUFFICIENT_PERMISSIONS"
    assert "admin:users" in theirs.json()["errors"][0]["detail"]
    assert their_user.status_code == 403
    assert admin_read.status_code == 200


BOOKING = {
    "data": {
        "type": "booking",
        "attributes": {
            "practitioner_id": "test_prac_123",
            "service_id": "service_test123",  # the test practitioner's own service
            "scheduled_at": "2031-05-05T09:00:00Z",
            "duration": 60,
            "session_type": "video_call",
        },
    }
}


async def test_a_user_cannot_read_or_cancel_another_users_booking(app: Built) -> None:
    a = user_token(app, "test_user_123", "read:bookings", "write:bookings")
    b = user_token(app, "user_456", "read:bookings", "write:bookings")
    practitioner = user_token(
        app,
        "test_prac_123",
        "read:bookings",
        user_type="practitioner",
        practitioner_id="test_prac_123",
    )
    async with client(app.app) as c:
        created = await c.post("/v1/bookings", json=BOOKING, headers=bearer(a))
        assert created.status_code == 201, created.text
        url = f"/v1/bookings/{created.json()['data']['id']}"
        read_by_b = await c.get(url, headers=bearer(b))
        cancelled_by_b = await c.delete(url, headers=bearer(b))
        read_by_a = await c.get(url, headers=bearer(a))
        read_by_practitioner = await c.get(url, headers=bearer(practitioner))
        listed_by_b = await c.get("/v1/users/test_user_123/bookings", headers=bearer(b))
    for denied in (read_by_b, cancelled_by_b):
        assert denied.status_code == 404 and error_code(denied) == "RESOURCE_NOT_FOUND"
    assert read_by_a.status_code == 200
    assert read_by_a.json()["data"]["attributes"]["status"] != "cancelled"
    assert read_by_practitioner.status_code == 200
    assert listed_by_b.status_code == 403


async def test_a_practitioner_sees_health_records_only_while_shared(app: Built) -> None:
    url = "/v1/users/test_user_123/health_profile"
    async with client(app.app) as c:
        patient = await login(c, scope="read:health_records write:health_records")
        practitioner = await login(c, scope="read:health_records", email=PRACTITIONER)
        as_patient, as_practitioner = (
            bearer(patient["access_token"]),
            bearer(practitioner["access_token"]),
        )
        before = await c.get(url, headers=as_practitioner)
        expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        share = await c.post(
            "/v1/health_records/share",
            headers=as_patient,
            json={
                "data": {
                    "type": "health_record_share",
                    "attributes": {
                        "practitioner_id": "test_prac_123",
                        "record_types": ["conditions"],
                        "expires_at": expires,
                    },
                }
            },
        )
        assert share.status_code == 201, share.text
        shared = await c.get(url, headers=as_practitioner)
        revoke_url = f"/v1/health_records/shares/{share.json()['data']['id']}"
        revoked = await c.delete(revoke_url, headers=as_patient)
        after = await c.get(url, headers=as_practitioner)
    assert before.status_code == 403
    assert shared.status_code == 200
    assert revoked.status_code == 204
    assert after.status_code == 403


@pytest.mark.parametrize(("offset", "status"), [(-1, 403), (3600, 200)])
async def test_an_expired_share_counts_as_no_share(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    offset: int,
    status: int,
) -> None:
    """The expiry is compared by the server, whatever the data source reports (the mock
    store as the source: the handlers' service checks its database's shares once more)."""
    app = sandbox(str(tmp_path_factory.mktemp("expiry")), handlers=False)

    async def expiry(self: Any, owner: str, grantees: frozenset[str], kind: str) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=offset)

    monkeypatch.setattr(type(app.runtime.ownership), "share_expiry", expiry)
    token = user_token(
        app,
        "test_prac_123",
        "read:health_records",
        user_type="practitioner",
        practitioner_id="test_prac_123",
    )
    async with client(app.app) as c:
        r = await c.get("/v1/users/test_user_123/health_profile", headers=bearer(token))
    assert r.status_code == status
