"""The answer's language through the sandbox's REST API: Accept-Language first, else the
signed-in user's `preferences.language`, else English; error titles and details translated
(gettext catalogs), Content-Language on successes and errors alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from handlers.domain.context import domain_of
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.engine import client
from tests.handlers.payments_support import booking_of, card_body, intent_body

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("sandbox", ["sqlite"], indirect=True)]
USER = "test_user_123"
SCOPES = ["read:profile", "write:profile", "read:bookings", "write:bookings"]


@pytest.fixture
async def built(sandbox: Built) -> AsyncIterator[Built]:
    yield sandbox
    await domain_of(sandbox.runtime.extras).db.close()


def bearer(built: Built, subject: str = USER, **extra: str) -> dict[str, str]:
    token = auth_of(built.runtime.extras).issue_token(subject, SCOPES)
    return {"Authorization": f"Bearer {token}", **extra}


async def prefer(c: httpx.AsyncClient, built: Built, language: str, subject: str = USER) -> None:
    body = {"data": {"type": "user_preferences", "attributes": {"language": language}}}
    r = await c.put(f"/v1/users/{subject}/preferences", json=body, headers=bearer(built, subject))
    assert r.status_code == 200, r.text


def first_error(r: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = r.json()["errors"][0]
    return error


async def test_a_signed_in_users_preferred_language_answers_without_accept_language(
    built: Built,
) -> None:
    async with client(built.app) as c:
        before = await c.get("/v1/bookings/booking_nothere", headers=bearer(built))
        await prefer(c, built, "es")
        missing = await c.get("/v1/bookings/booking_nothere", headers=bearer(built))
        found = await c.get(f"/v1/users/{USER}", headers=bearer(built))
    assert before.headers["content-language"] == "en"
    assert first_error(before)["detail"] == "No booking booking_nothere"
    assert missing.status_code == 404 and missing.headers["content-language"] == "es"
    assert first_error(missing)["title"] == "Recurso no encontrado"
    assert first_error(missing)["detail"] == "No existe la reserva booking_nothere"
    assert first_error(missing)["code"] == "RESOURCE_NOT_FOUND"  # codes never change
    assert found.status_code == 200 and found.headers["content-language"] == "es"


async def test_accept_language_wins_over_the_preference(built: Built) -> None:
    async with client(built.app) as c:
        await prefer(c, built, "es")
        r = await c.get(
            "/v1/bookings/booking_nothere", headers=bearer(built, **{"Accept-Language": "fr"})
        )
        anonymous = await c.get("/v1/bookings/booking_nothere")
    assert r.headers["content-language"] == "fr"
    assert first_error(r)["detail"] == "Aucune réservation booking_nothere"
    assert anonymous.status_code == 401 and anonymous.headers["content-language"] == "en"


async def test_validation_and_payment_details_are_translated(built: Built) -> None:
    booking = await booking_of(built, USER)
    french = bearer(built, **{"Accept-Language": "fr-CA, en;q=0.5"})
    async with client(built.app) as c:
        invalid = await c.post(
            "/v1/payments/intents", json={"data": {"type": "payment_intent"}}, headers=french
        )
        made = await c.post("/v1/payments/intents", json=intent_body(booking), headers=french)
        declined = await c.post(
            f"/v1/payments/intents/{made.json()['data']['id']}/confirm",
            json=card_body("4000000000000002"),
            headers=french,
        )
    assert invalid.status_code == 422
    assert first_error(invalid)["detail"] == '"attributes" est une propriété obligatoire'
    assert made.status_code == 201 and made.headers["content-language"] == "fr"
    assert declined.status_code == 402
    assert first_error(declined)["detail"] == "La carte a été refusée (card_declined)"
    assert first_error(declined)["meta"]["decline_code"] == "card_declined"


async def test_an_unshipped_preference_falls_back_to_english(built: Built) -> None:
    async with client(built.app) as c:
        await prefer(c, built, "de")
        r = await c.get("/v1/bookings/booking_nothere", headers=bearer(built))
    assert r.headers["content-language"] == "en"
    assert first_error(r)["detail"] == "No booking booking_nothere"
