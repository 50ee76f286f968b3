"""Finding 14: PUT /v1/users/{id} told whether an email address was registered (409) and
changed the address with no re-verification. Now a new address waits for its token."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from handlers.storage import models
from handlers.storage.models import User
from kkapp.factory import Built
from tests.security.domain.support import PATIENT, client, domain, token

pytestmark = pytest.mark.anyio
TAKEN = "taken@example.com"  # another account's address (`other`)


def email(address: str) -> dict[str, Any]:
    return {"data": {"type": "user", "attributes": {"email": address}}}


def verification(value: str) -> dict[str, Any]:
    return {"data": {"type": "email_verification", "attributes": {"token": value}}}


@pytest.fixture
async def other(sandbox: Built) -> None:
    async with (await domain(sandbox)).db.transaction() as session:
        session.add(User(id="user_taken1", email=TAKEN, first_name="T", last_name="K"))


async def user(built: Built) -> User:
    async with (await domain(built)).db.session() as session:
        return await session.get_one(User, PATIENT)


async def test_a_taken_and_a_free_address_get_the_same_answer(sandbox: Built, other: None) -> None:
    async with client(sandbox) as c:
        taken = await c.put(
            f"/v1/users/{PATIENT}", json=email(TAKEN), headers=token(sandbox, "patient")
        )
        free = await c.put(
            f"/v1/users/{PATIENT}",
            json=email("free@example.com"),
            headers=token(sandbox, "patient"),
        )
    assert (taken.status_code, free.status_code) == (200, 200), taken.text
    shape = [sorted(r.json()["meta"]["email_verification"]) for r in (taken, free)]
    assert shape[0] == shape[1] == ["expires_at", "pending_email", "token"]


async def test_the_address_changes_only_with_the_token_mailed_to_it(sandbox: Built) -> None:
    headers = token(sandbox, "patient")
    url = f"/v1/users/{PATIENT}"
    async with client(sandbox) as c:
        asked = await c.put(url, json=email("new@example.com"), headers=headers)
        assert asked.json()["data"]["attributes"]["email"] == "test.user@klearkarma.com"
        assert (await user(sandbox)).email == "test.user@klearkarma.com"  # kept until verified
        sent = asked.json()["meta"]["email_verification"]["token"]
        wrong = await c.post(f"{url}/email/verify", json=verification("x" + sent), headers=headers)
        done = await c.post(f"{url}/email/verify", json=verification(sent), headers=headers)
        reused = await c.post(f"{url}/email/verify", json=verification(sent), headers=headers)
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["errors"][0]["source"]["pointer"] == "/data/attributes/token"
    assert done.status_code == 200, done.text
    attributes = done.json()["data"]["attributes"]
    assert (attributes["email"], attributes["verified"]) == ("new@example.com", True)
    assert reused.status_code == 422


async def test_only_the_tokens_digest_is_stored(sandbox: Built) -> None:
    async with client(sandbox) as c:
        asked = await c.put(
            f"/v1/users/{PATIENT}",
            json=email("new2@example.com"),
            headers=token(sandbox, "patient"),
        )
    sent = asked.json()["meta"]["email_verification"]["token"]
    async with (await domain(sandbox)).db.session() as session:
        stored = await session.get_one(models.EmailChange, PATIENT)
    from handlers.domain.email_change import digest  # (new in the fix)

    assert stored.token_sha256 == digest(sent) != sent


async def test_a_taken_address_is_refused_only_to_the_holder_of_its_token(
    sandbox: Built, other: None
) -> None:
    headers = token(sandbox, "patient")
    async with client(sandbox) as c:
        asked = await c.put(f"/v1/users/{PATIENT}", json=email(TAKEN), headers=headers)
        sent = asked.json()["meta"]["email_verification"]["token"]
        r = await c.post(
            f"/v1/users/{PATIENT}/email/verify", json=verification(sent), headers=headers
        )
    assert r.status_code == 409 and r.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
    assert (await user(sandbox)).email == "test.user@klearkarma.com"


def test_outside_the_sandbox_the_token_is_mailed_as_a_private_file(tmp_path: Path) -> None:
    someone = User(id="user_mail1", email="a@example.com", first_name="Ada", last_name="L")
    from handlers.domain.email_change import write_mail  # (new in the fix)

    path = write_mail(
        tmp_path / "mail",
        someone,
        "b@example.com",
        "tok123",
        datetime(2024, 1, 2),
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "mail").stat().st_mode & 0o777 == 0o700
    text = path.read_text()
    assert "To: b@example.com" in text and "tok123" in text
