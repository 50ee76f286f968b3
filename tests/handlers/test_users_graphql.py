"""GraphQL of users and health records on the sandbox's database: the same services as
REST, object-level access checked by the resolvers, nested lists loaded in batches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from kkapp.factory import Built
from tests.handlers.people import (
    USER,
    add,
    admin_bearer,
    at,
    bearer,
    booking_row,
    client,
    closing,
    practitioner_bearer,
    practitioner_row,
    ready,
    user_row,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


async def graphql(app: Built, query: str, headers: dict[str, str]) -> dict[str, Any]:
    async with client(app) as c:
        r = await c.post("/graphql", json={"query": query}, headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@contextmanager
def statements(app: Built, domain: Any) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (reads and writes)."""
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engines = {domain.db.engine.sync_engine, domain.db.read_engine.sync_engine}
    if domain.db.writer is not None:  # (SQLite's whole write units: handlers.storage.writer)
        engines.add(domain.db.writer.engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def test_me_is_the_caller_and_another_user_is_null_without_admin_users(app: Built) -> None:
    query = """{ me { id email userType preferences { language privacy { profileVisibility } }
                     healthProfile { goals } }
                 other: user(id: "user_123") { id } }"""
    mine = await graphql(app, query, bearer(app))
    as_admin = await graphql(app, '{ user(id: "user_123") { id email } }', admin_bearer(app))
    me = mine["data"]["me"]
    assert (me["id"], me["userType"]) == (USER, "PATIENT")
    assert me["preferences"] == {"language": "en", "privacy": {"profileVisibility": "PUBLIC"}}
    assert me["healthProfile"] == {"goals": ["Reduce stress"]}
    assert mine["data"]["other"] is None
    assert as_admin["data"]["user"] == {"id": "user_123", "email": "user@example.com"}


async def test_a_practitioner_cannot_read_a_patient_through_user_by_id(app: Built) -> None:
    found = await graphql(
        app,
        f'{{ user(id: "{USER}") {{ healthProfile {{ goals }} }} }}',
        practitioner_bearer(app, ["read:profile", "read:health_records"]),
    )
    assert found["data"]["user"] is None


async def test_bookings_page_through_cursors_newest_first(app: Built) -> None:
    await add(
        app,
        practitioner_row("prac_g1"),
        *[booking_row(f"booking_g{i}", USER, "prac_g1", at(24 * (i + 1))) for i in range(3)],
    )
    page = (
        "{ me { bookings(first: 2%s) { totalCount edges { cursor node { id status } } "
        "pageInfo { hasNextPage endCursor } } } }"
    )
    first = (await graphql(app, page % "", bearer(app)))["data"]["me"]["bookings"]
    after = first["pageInfo"]["endCursor"]
    second = (await graphql(app, page % f', after: "{after}"', bearer(app)))["data"]["me"][
        "bookings"
    ]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in first["edges"]] == ["booking_g2", "booking_g1"]
    assert first["edges"][0]["node"]["status"] == "CONFIRMED"
    assert [e["node"]["id"] for e in second["edges"]] == ["booking_g0"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_nested_lists_of_many_users_take_as_many_queries_as_of_two(app: Built) -> None:
    ids = [f"user_n{i}" for i in range(6)]
    await add(
        app,
        practitioner_row("prac_n1"),
        *[user_row(uid) for uid in ids],
        *[booking_row(f"booking_n{i}", uid, "prac_n1", at(i)) for i, uid in enumerate(ids)],
    )
    domain = await ready(app)

    def query(users: list[str]) -> str:
        fields = " ".join(
            f'u{i}: user(id: "{uid}") {{ email bookings {{ totalCount edges {{ node {{ id }} }} }} '
            "payments { totalCount } conversations { totalCount } "
            "preferences { language } }"
            for i, uid in enumerate(users)
        )
        return "{ " + fields + " }"

    with statements(app, domain) as two:
        small = await graphql(app, query(ids[:2]), admin_bearer(app))
    with statements(app, domain) as six:
        large = await graphql(app, query(ids), admin_bearer(app))
    assert "errors" not in large, large
    assert large["data"]["u5"]["bookings"]["edges"] == [{"node": {"id": "booking_n5"}}]
    assert small["data"]["u1"]["bookings"]["totalCount"] == 1
    assert len(six) == len(two)


async def test_profile_mutations_validate_check_access_and_emit(app: Built) -> None:
    events = app.runtime.extras["bus"].subscribe(["users"])
    result = await graphql(
        app,
        f"""mutation {{
          bad: updateProfile(input: {{userId: "{USER}", phoneNumber: "12"}}) {{
            user {{ id }} errors {{ field code }} }}
          other: updateProfile(input: {{userId: "user_123", firstName: "X"}}) {{
            user {{ id }} errors {{ code }} }}
          ok: updateProfile(input: {{userId: "{USER}", firstName: "Tess"}}) {{
            user {{ firstName }} errors {{ code }} }}
          prefs: updatePreferences(input: {{userId: "{USER}",
                                            privacy: {{profileVisibility: PRIVATE}}}}) {{
            preferences {{ privacy {{ profileVisibility showOnlineStatus }} }} errors {{ code }} }}
        }}""",
        bearer(app),
    )
    data = result["data"]
    assert data["bad"] == {
        "user": None,
        "errors": [{"field": "phoneNumber", "code": "VALIDATION_ERROR"}],
    }
    assert data["other"] == {"user": None, "errors": [{"code": "INSUFFICIENT_PERMISSIONS"}]}
    assert data["ok"] == {"user": {"firstName": "Tess"}, "errors": []}
    assert data["prefs"]["preferences"]["privacy"] == {
        "profileVisibility": "PRIVATE",
        "showOnlineStatus": True,
    }
    got = events.queue.get_nowait()
    assert got is not None and got.type == "user.updated" and events.queue.empty()


async def test_a_share_is_granted_listed_and_revoked_through_graphql(app: Built) -> None:
    granted = await graphql(
        app,
        """mutation { shareHealthRecords(input: {practitionerId: "test_prac_123",
             recordTypes: [GOALS, ALLERGIES], expiresAt: "2024-03-01T00:00:00Z"}) {
             share { id status recordTypes user { id } } errors { code } } }""",
        bearer(app),
    )
    share = granted["data"]["shareHealthRecords"]["share"]
    assert (share["status"], share["recordTypes"], share["user"]) == (
        "ACTIVE",
        ["GOALS", "ALLERGIES"],
        {"id": USER},
    )
    listed = await graphql(app, "{ me { healthRecordShares { totalCount } } }", bearer(app))
    revoke = (
        f'mutation {{ revokeHealthRecordShare(input: {{shareId: "{share["id"]}"}}) '
        "{ share { status revokedAt } errors { code } } }"
    )
    stranger = await graphql(app, revoke, bearer(app, "user_123"))
    revoked = await graphql(app, revoke, bearer(app))
    assert listed["data"]["me"]["healthRecordShares"]["totalCount"] == 1
    assert stranger["data"]["revokeHealthRecordShare"]["errors"] == [{"code": "RESOURCE_NOT_FOUND"}]
    assert revoked["data"]["revokeHealthRecordShare"]["share"] == {
        "status": "REVOKED",
        "revokedAt": "2024-01-01T00:00:00Z",
    }
