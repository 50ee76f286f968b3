"""Health profiles and their shares on the sandbox's database (SQLite and PostgreSQL); the
sandbox clock stands at 2024-01-01T00:00:00Z."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.storage.models import HealthRecordShare
from kkapp.factory import Built
from tests.handlers.people import (
    PRACTITIONER,
    USER,
    add,
    admin_bearer,
    at,
    audits,
    bearer,
    client,
    closing,
    practitioner_bearer,
)

pytestmark = pytest.mark.anyio
PROFILE = f"/v1/users/{USER}/health_profile"


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


def share_body(
    record_types: list[str], expires_at: str = "2024-06-01T00:00:00Z", prac: str = PRACTITIONER
) -> dict[str, Any]:
    attributes = {"practitioner_id": prac, "record_types": record_types, "expires_at": expires_at}
    return {"data": {"type": "health_record_share", "attributes": attributes}}


async def fill_profile(app: Built) -> None:
    body = {
        "data": {
            "type": "health_profile",
            "attributes": {
                "conditions": ["Asthma"],
                "allergies": ["Penicillin"],
                "medications": ["Inhaler"],
                "emergency_contact": {"name": "Mary", "phone_number": "+14155550199"},
            },
        }
    }
    async with client(app) as c:
        r = await c.put(PROFILE, json=body, headers=bearer(app))
    assert r.status_code == 200, r.text


async def test_the_user_reads_and_replaces_record_types_of_their_profile(app: Built) -> None:
    events = app.runtime.extras["bus"].subscribe(["health_profiles"])
    await fill_profile(app)
    async with client(app) as c:
        r = await c.get(PROFILE, headers=bearer(app))
    attributes = r.json()["data"]["attributes"]
    assert attributes["conditions"] == ["Asthma"]
    assert attributes["goals"] == ["Reduce stress"]  # not sent: kept
    assert r.json()["data"]["id"] == "health_124"
    event = events.queue.get_nowait()
    assert event is not None and event.type == "health_profile.updated"
    assert event.audience == (USER,)
    [update] = await audits(app, "health_profile.update")
    [read] = await audits(app, "health_profile.read")
    assert (update.actor, update.resource_id, update.details["outcome"]) == (USER, USER, "allowed")
    assert (read.request_id, read.details["outcome"]) == (r.headers["x-request-id"], "allowed")


async def test_a_practitioner_without_a_share_is_denied_and_the_denial_audited(
    app: Built,
) -> None:
    async with client(app) as c:
        r = await c.get(PROFILE, headers=practitioner_bearer(app))
    assert r.status_code == 403
    [entry] = await audits(app, "health_profile.read")
    assert (entry.actor, entry.resource_id, entry.details) == (
        PRACTITIONER,
        USER,
        {"outcome": "denied"},
    )
    assert entry.request_id == r.headers["x-request-id"]


async def test_a_practitioner_sees_only_the_shared_record_types_until_revoked(
    app: Built,
) -> None:
    events = app.runtime.extras["bus"].subscribe(["health_record_shares"])
    await fill_profile(app)
    async with client(app) as c:
        share = await c.post(
            "/v1/health_records/share", json=share_body(["allergies"]), headers=bearer(app)
        )
        shared = await c.get(PROFILE, headers=practitioner_bearer(app))
        revoked = await c.delete(
            f"/v1/health_records/shares/{share.json()['data']['id']}", headers=bearer(app)
        )
        after = await c.get(PROFILE, headers=practitioner_bearer(app))
    assert share.status_code == 201, share.text
    assert share.headers["location"].endswith(share.json()["data"]["id"])
    assert shared.status_code == 200, shared.text
    attributes = shared.json()["data"]["attributes"]
    assert attributes["allergies"] == ["Penicillin"]
    assert attributes["conditions"] == attributes["medications"] == attributes["goals"] == []
    assert attributes["emergency_contact"] is None
    assert revoked.status_code == 204
    assert after.status_code == 403
    kinds = [events.queue.get_nowait().type for _ in range(3)]  # type: ignore[union-attr]
    assert kinds == [
        "health_record_share.created",
        "health_record_share.updated",
        "health_record_share.revoked",
    ]
    outcomes = [e.details["outcome"] for e in await audits(app, "health_profile.read")]
    assert outcomes == ["allowed", "denied"]


async def test_an_active_share_with_the_same_practitioner_conflicts(app: Built) -> None:
    async with client(app) as c:
        first = await c.post(
            "/v1/health_records/share", json=share_body(["goals"]), headers=bearer(app)
        )
        second = await c.post(
            "/v1/health_records/share", json=share_body(["goals"]), headers=bearer(app)
        )
        await c.delete(
            f"/v1/health_records/shares/{first.json()['data']['id']}", headers=bearer(app)
        )
        third = await c.post(
            "/v1/health_records/share", json=share_body(["goals"]), headers=bearer(app)
        )
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
    assert third.status_code == 201
    outcomes = [e.details["outcome"] for e in await audits(app, "health_record_share.create")]
    assert outcomes == ["allowed", "RESOURCE_CONFLICT", "allowed"]


async def test_a_share_without_expires_at_lasts_the_default_90_days(app: Built) -> None:
    body = share_body(["goals"])
    del body["data"]["attributes"]["expires_at"]
    async with client(app) as c:
        r = await c.post("/v1/health_records/share", json=body, headers=bearer(app))
    assert r.status_code == 201, r.text
    assert r.json()["data"]["attributes"]["expires_at"] == "2024-03-31T00:00:00Z"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (share_body(["goals"], "2023-12-31T00:00:00Z"), "/data/attributes/expires_at"),
        (share_body(["goals"], "2025-01-01T00:00:01Z"), "/data/attributes/expires_at"),
        (share_body(["goals"], prac="prac_nobody"), "/data/attributes/practitioner_id"),
    ],
)
async def test_a_share_in_the_past_too_far_ahead_or_to_nobody_is_422(
    app: Built, body: dict[str, Any], pointer: str
) -> None:
    async with client(app) as c:
        r = await c.post("/v1/health_records/share", json=body, headers=bearer(app))
    assert r.status_code == 422
    assert r.json()["errors"][0]["source"]["pointer"] == pointer


async def test_shares_are_listed_newest_first_with_their_shown_status(app: Built) -> None:
    await add(
        app,
        HealthRecordShare(
            id="share_old",
            user_id=USER,
            practitioner_id=PRACTITIONER,
            record_types=["goals"],
            expires_at=at(-1),
            created_at=at(-48),
        ),
        HealthRecordShare(
            id="share_gone",
            user_id=USER,
            practitioner_id=PRACTITIONER,
            record_types=["goals"],
            expires_at=at(100),
            created_at=at(-24),
            status="revoked",
            revoked_at=at(-12),
        ),
        HealthRecordShare(
            id="share_live",
            user_id=USER,
            practitioner_id=PRACTITIONER,
            record_types=["goals"],
            expires_at=at(100),
            created_at=at(-2),
        ),
    )
    url = "/v1/health_records/shares"
    async with client(app) as c:
        mine = (await c.get(url, headers=bearer(app))).json()
        expired = (await c.get(url, params={"status": "expired"}, headers=bearer(app))).json()
        granted = (
            await c.get(url, params={"status": "active"}, headers=practitioner_bearer(app))
        ).json()
    assert [(s["id"], s["attributes"]["status"]) for s in mine["data"]] == [
        ("share_live", "active"),
        ("share_gone", "revoked"),
        ("share_old", "expired"),
    ]
    assert [s["id"] for s in expired["data"]] == ["share_old"]
    assert [s["id"] for s in granted["data"]] == ["share_live"]


async def test_only_the_granting_user_or_an_admin_revokes_a_share(app: Built) -> None:
    await add(
        app,
        HealthRecordShare(
            id="share_x1",
            user_id=USER,
            practitioner_id=PRACTITIONER,
            record_types=["goals"],
            expires_at=at(100),
            created_at=at(-2),
        ),
    )
    url = "/v1/health_records/shares/share_x1"
    async with client(app) as c:
        stranger = await c.delete(url, headers=bearer(app, "user_123"))
        practitioner = await c.delete(
            url, headers=practitioner_bearer(app, ["write:health_records"])
        )
        admin = await c.delete(url, headers=admin_bearer(app))
        twice = await c.delete(url, headers=bearer(app))
    assert (stranger.status_code, practitioner.status_code) == (404, 404)
    assert (admin.status_code, twice.status_code) == (204, 204)
    outcomes = [e.details["outcome"] for e in await audits(app, "health_record_share.revoke")]
    assert outcomes == ["denied", "denied", "allowed", "already_revoked"]
