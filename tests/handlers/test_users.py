"""The users operations on the sandbox's database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.storage.models import Conversation, ConversationParticipant, Message
from kkapp.factory import Built
from tests.handlers.people import (
    USER,
    add,
    admin_bearer,
    at,
    audits,
    bearer,
    booking_row,
    client,
    closing,
    payment_row,
    practitioner_row,
    user_row,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


async def test_a_user_reads_their_own_profile_with_its_relationships(app: Built) -> None:
    async with client(app) as c:
        r = await c.get(f"/v1/users/{USER}", headers=bearer(app))
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["attributes"]["email"] == "test.user@klearkarma.com"
    assert data["relationships"]["preferences"]["data"]["id"] == "pref_124"
    assert data["relationships"]["health_profile"]["data"]["id"] == "health_124"


async def test_another_users_profile_needs_admin_users(app: Built) -> None:
    async with client(app) as c:
        denied = await c.get("/v1/users/user_123", headers=bearer(app))
        allowed = await c.get("/v1/users/user_123", headers=admin_bearer(app))
        missing = await c.get("/v1/users/user_nobody", headers=admin_bearer(app))
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert allowed.status_code == 200 and allowed.json()["data"]["id"] == "user_123"
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"


async def test_an_update_changes_only_the_sent_attributes_and_emits_user_updated(
    app: Built,
) -> None:
    bus = app.runtime.extras["bus"]
    events = bus.subscribe(["users"])
    body = {"data": {"type": "user", "attributes": {"phone_number": "+14155550123"}}}
    async with client(app) as c:
        r = await c.put(f"/v1/users/{USER}", json=body, headers=bearer(app))
    assert r.status_code == 200, r.text
    attributes = r.json()["data"]["attributes"]
    assert attributes["phone_number"] == "+14155550123"
    assert (attributes["first_name"], attributes["verified"]) == ("Test", True)
    event = events.queue.get_nowait()
    assert event is not None and event.type == "user.updated"
    assert event.data["id"] == USER and event.audience == (USER,)
    [entry] = await audits(app, "user.update")
    assert (entry.actor, entry.resource_id, entry.details) == (
        USER,
        USER,
        {"fields": ["phone_number"]},
    )
    assert entry.request_id == r.headers["x-request-id"]


async def test_a_new_email_waits_for_verification_whether_or_not_it_is_taken(app: Built) -> None:
    def email(address: str) -> dict[str, object]:
        return {"data": {"type": "user", "attributes": {"email": address}}}

    async with client(app) as c:
        taken = await c.put(
            f"/v1/users/{USER}", json=email("USER@example.com"), headers=bearer(app)
        )
        moved = await c.put(f"/v1/users/{USER}", json=email("new@example.com"), headers=bearer(app))
    assert (taken.status_code, moved.status_code) == (200, 200)
    a = moved.json()["data"]["attributes"]
    assert (a["email"], a["verified"]) == ("test.user@klearkarma.com", True)
    pending = moved.json()["meta"]["email_verification"]
    assert pending["pending_email"] == "new@example.com" and pending["token"]


async def test_preferences_merge_nested_settings_key_by_key(app: Built) -> None:
    url = f"/v1/users/{USER}/preferences"
    change = {
        "data": {
            "type": "user_preferences",
            "attributes": {"language": "es", "notifications": {"sms": True}},
        }
    }
    async with client(app) as c:
        r = await c.put(url, json=change, headers=bearer(app))
        again = await c.get(url, headers=bearer(app))
    assert r.status_code == 200, r.text
    attributes = again.json()["data"]["attributes"]
    assert attributes["language"] == "es"
    assert attributes["timezone"] == "America/New_York"
    assert attributes["notifications"] == {"email": True, "sms": True, "push": True}


async def test_a_user_without_preferences_gets_the_defaults_under_a_stable_id(
    app: Built,
) -> None:
    await add(app, user_row("user_fresh1"))
    url = "/v1/users/user_fresh1/preferences"
    who = bearer(app, "user_fresh1")
    change = {
        "data": {
            "type": "user_preferences",
            "attributes": {"privacy": {"profile_visibility": "private"}},
        }
    }
    async with client(app) as c:
        first = await c.get(url, headers=who)
        changed = await c.put(url, json=change, headers=who)
    assert first.json()["data"]["id"] == changed.json()["data"]["id"] == "pref_userfresh1"
    assert changed.json()["data"]["attributes"]["privacy"] == {
        "profile_visibility": "private",
        "show_online_status": True,
    }


async def test_bookings_are_listed_newest_first_with_filters_and_page_links(
    app: Built,
) -> None:
    await add(
        app,
        user_row("user_pracacct"),
        practitioner_row("prac_zz1", user_id="user_pracacct"),
        booking_row("booking_a", USER, "prac_zz1", at(24)),
        booking_row("booking_b", USER, "prac_zz1", at(48), status="cancelled"),
        booking_row("booking_c", USER, "prac_zz1", at(72)),
        booking_row("booking_d", "user_123", "prac_zz1", at(96)),
    )
    url = f"/v1/users/{USER}/bookings"
    async with client(app) as c:
        every = (await c.get(url, headers=bearer(app))).json()
        confirmed = (await c.get(url, params={"status": "confirmed"}, headers=bearer(app))).json()
        window = (
            await c.get(url, params={"from": "2024-01-02", "to": "2024-01-03"}, headers=bearer(app))
        ).json()
        paged = (await c.get(url, params={"limit": 1, "offset": 1}, headers=bearer(app))).json()
        as_practitioner = (
            await c.get("/v1/users/user_pracacct/bookings", headers=bearer(app, "user_pracacct"))
        ).json()
    assert [b["id"] for b in every["data"]] == ["booking_c", "booking_b", "booking_a"]
    assert [b["id"] for b in confirmed["data"]] == ["booking_c", "booking_a"]
    assert [b["id"] for b in window["data"]] == ["booking_b", "booking_a"]
    assert [b["id"] for b in paged["data"]] == ["booking_b"]
    assert paged["meta"]["total_count"] == 3 and paged["meta"]["page"] == 2
    assert paged["links"]["next"] == f"{url}?limit=1&offset=2"
    assert paged["links"]["prev"] == f"{url}?limit=1&offset=0"
    assert as_practitioner["meta"]["total_count"] == 4


async def test_payments_are_listed_newest_first_without_client_secrets(app: Built) -> None:
    await add(
        app,
        practitioner_row("prac_zz2"),
        booking_row("booking_p", USER, "prac_zz2", at(1)),
        payment_row("pi_old", USER, "booking_p", at(1)),
        payment_row("pi_new", USER, "booking_p", at(2)),
        payment_row("pi_other", "user_123", "booking_p", at(3)),
    )
    async with client(app) as c:
        r = await c.get(f"/v1/users/{USER}/payments", headers=bearer(app))
    assert r.status_code == 200, r.text
    assert [p["id"] for p in r.json()["data"]] == ["pi_new", "pi_old"]
    assert "client_secret" not in r.json()["data"][0]["attributes"]


async def test_conversations_are_listed_by_latest_message_with_unread_counts(
    app: Built,
) -> None:
    await add(
        app,
        Conversation(id="conv_quiet", subject="Quiet", created_at=at(1), updated_at=at(1)),
        Conversation(
            id="conv_busy",
            subject="Busy",
            created_at=at(-1),
            updated_at=at(5),
            last_message_at=at(5),
        ),
        ConversationParticipant(conversation_id="conv_quiet", participant_id=USER),
        ConversationParticipant(
            conversation_id="conv_busy", participant_id=USER, last_read_at=at(3)
        ),
        ConversationParticipant(
            conversation_id="conv_busy",
            participant_id="test_prac_9",
            participant_type="practitioner",
        ),
        Message(
            id="msg_1",
            conversation_id="conv_busy",
            sender_id="test_prac_9",
            content="a",
            created_at=at(2),
        ),
        Message(
            id="msg_2",
            conversation_id="conv_busy",
            sender_id="test_prac_9",
            content="b",
            created_at=at(4),
        ),
        Message(
            id="msg_3", conversation_id="conv_busy", sender_id=USER, content="c", created_at=at(5)
        ),
    )
    async with client(app) as c:
        r = await c.get(f"/v1/users/{USER}/conversations", headers=bearer(app))
    assert r.status_code == 200, r.text
    listed = {c["id"]: c for c in r.json()["data"]}
    assert [c["id"] for c in r.json()["data"]][:2] == ["conv_busy", "conv_quiet"]
    assert listed["conv_busy"]["attributes"]["unread_count"] == 1
    assert listed["conv_busy"]["relationships"]["participants"]["data"] == [
        {"id": USER, "type": "user"},
        {"id": "test_prac_9", "type": "practitioner"},
    ]


async def test_another_users_lists_are_forbidden(app: Built) -> None:
    async with client(app) as c:
        answers = [
            await c.get(f"/v1/users/user_123/{what}", headers=bearer(app))
            for what in ("bookings", "payments", "conversations", "preferences")
        ]
    assert [a.status_code for a in answers] == [403, 403, 403, 403]
