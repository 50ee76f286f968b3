"""#15 items 6 and 15 (GraphQL): a conversation's participants show other people only their
public fields, and listing them under `me.conversations` answers instead of a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.domain.context import domain_of
from kkapp.factory import Built
from tests.handlers.people import USER, admin_bearer, bearer, client, closing

pytestmark = pytest.mark.anyio
CONV = "conv_test123"
SCOPES = ["read:messages", "read:profile"]


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


async def test_participants_show_others_no_contact_details(app: Built) -> None:
    query = f'{{ conversation(id: "{CONV}") {{ participants {{ id firstName phoneNumber }} }} }}'
    body = await graphql(app, query, bearer(app, USER, SCOPES))
    people = {p["id"]: p for p in body["data"]["conversation"]["participants"]}
    others = [p for i, p in people.items() if i != USER]
    assert others and all(p["phoneNumber"] is None for p in others)
    assert people[USER]["firstName"]


async def test_another_participants_email_is_refused(app: Built) -> None:
    query = f'{{ conversation(id: "{CONV}") {{ participants {{ id email }} }} }}'
    body = await graphql(app, query, bearer(app, USER, SCOPES))
    codes = {e["extensions"]["code"] for e in body.get("errors", [])}
    assert codes == {"INSUFFICIENT_PERMISSIONS"}  # (a non-null field: its parents are null)
    assert "@" not in str(body["data"])


async def test_no_connection_is_still_out_once_a_refused_email_is_answered(app: Built) -> None:
    """The error leaves sibling fields running (server.graphql_execution): the answer waits for
    them, so closing the database next closes every connection (issue 18)."""
    query = f'{{ conversation(id: "{CONV}") {{ participants {{ id email }} }} }}'
    await graphql(app, query, bearer(app, USER, SCOPES))
    db = domain_of(app.runtime.extras).db
    assert db.pooled
    assert {db.engine.pool.checkedout(), db.read_engine.pool.checkedout()} == {0}  # type: ignore[attr-defined]


async def test_an_administrator_sees_the_contact_details(app: Built) -> None:
    query = f'{{ conversation(id: "{CONV}") {{ participants {{ id email }} }} }}'
    body = await graphql(app, query, admin_bearer(app))
    assert "errors" not in body
    assert all(p["email"] for p in body["data"]["conversation"]["participants"])


async def test_participants_under_my_conversations_answer(app: Built) -> None:
    query = "{ me { conversations { edges { node { id participants { id } } } } } }"
    body = await graphql(app, query, bearer(app, USER, SCOPES))
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["me"]["conversations"]["edges"]]
    assert nodes and all(USER in {p["id"] for p in n["participants"]} for n in nodes)
