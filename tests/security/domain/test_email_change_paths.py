"""The client-reachable refusals of an email change (updateUser, then verifyUserEmail) on
both databases: an expired token, a token replaced by a later change, a verification with no
change pending, an unknown user, and a malformed date of birth sent alongside."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.storage.models import EmailChange, User
from kkapp.factory import Built
from tests.security.domain.support import NOW, PATIENT, client, domain, token

pytestmark = pytest.mark.anyio
URL = f"/v1/users/{PATIENT}"
ORIGINAL = "test.user@klearkarma.com"


def change(**attributes: Any) -> dict[str, Any]:
    return {"data": {"type": "user", "attributes": attributes}}


def verification(value: str) -> dict[str, Any]:
    return {"data": {"type": "email_verification", "attributes": {"token": value}}}


async def stored_email(built: Built) -> str:
    async with (await domain(built)).db.session() as session:
        return (await session.get_one(User, PATIENT)).email


async def test_an_expired_token_is_refused_and_the_address_kept(sandbox: Built) -> None:
    headers = token(sandbox, "patient")
    async with client(sandbox) as c:
        asked = await c.put(URL, json=change(email="late@example.com"), headers=headers)
        sent = asked.json()["meta"]["email_verification"]["token"]
        async with (await domain(sandbox)).db.transaction() as session:
            pending = await session.get_one(EmailChange, PATIENT)
            pending.expires_at = NOW - timedelta(seconds=1)  # the sandbox clock is at NOW
        r = await c.post(f"{URL}/email/verify", json=verification(sent), headers=headers)
    assert r.status_code == 422, r.text
    problem = r.json()["errors"][0]
    assert problem["source"]["pointer"] == "/data/attributes/token"
    assert await stored_email(sandbox) == ORIGINAL


async def test_the_expiry_is_24_hours_after_the_request(sandbox: Built) -> None:
    async with client(sandbox) as c:
        asked = await c.put(
            URL, json=change(email="soon@example.com"), headers=token(sandbox, "patient")
        )
    shown = asked.json()["meta"]["email_verification"]
    assert shown["expires_at"] == "2024-01-02T00:00:00Z"
    assert shown["pending_email"] == "soon@example.com"


async def test_a_later_change_replaces_the_earlier_token(sandbox: Built) -> None:
    headers = token(sandbox, "patient")
    async with client(sandbox) as c:
        first = await c.put(URL, json=change(email="first@example.com"), headers=headers)
        second = await c.put(URL, json=change(email="second@example.com"), headers=headers)
        old = first.json()["meta"]["email_verification"]["token"]
        new = second.json()["meta"]["email_verification"]["token"]
        stale = await c.post(f"{URL}/email/verify", json=verification(old), headers=headers)
        done = await c.post(f"{URL}/email/verify", json=verification(new), headers=headers)
    assert stale.status_code == 422, stale.text
    assert done.status_code == 200, done.text
    assert done.json()["data"]["attributes"]["email"] == "second@example.com"


async def test_verifying_with_no_change_pending_is_refused(sandbox: Built) -> None:
    async with client(sandbox) as c:
        r = await c.post(
            f"{URL}/email/verify", json=verification("anything"), headers=token(sandbox, "patient")
        )
    assert r.status_code == 422, r.text


async def test_sending_the_current_address_again_starts_no_change(sandbox: Built) -> None:
    async with client(sandbox) as c:
        r = await c.put(URL, json=change(email=ORIGINAL.upper()), headers=token(sandbox, "patient"))
    assert r.status_code == 200, r.text
    assert "email_verification" not in (r.json().get("meta") or {})
    async with (await domain(sandbox)).db.session() as session:
        assert await session.get(EmailChange, PATIENT) is None


async def test_an_unknown_user_is_404_to_an_administrator(sandbox: Built) -> None:
    admin = token(sandbox, "admin")
    async with client(sandbox) as c:
        verify = await c.post(
            "/v1/users/user_nobody9/email/verify", json=verification("x"), headers=admin
        )
        update = await c.put("/v1/users/user_nobody9", json=change(first_name="N"), headers=admin)
    assert (verify.status_code, update.status_code) == (404, 404), (verify.text, update.text)
    assert verify.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"


async def test_another_users_address_cannot_be_verified(sandbox: Built) -> None:
    async with client(sandbox) as c:
        r = await c.post(
            "/v1/users/user_123/email/verify",
            json=verification("x"),
            headers=token(sandbox, "patient"),
        )
    assert r.status_code == 403, r.text
