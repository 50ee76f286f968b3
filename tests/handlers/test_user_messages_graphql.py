"""GraphQL `User.messages` on the sandbox's database: the messages a user sent, newest first,
keyset cursors that hold while messages are added, the user themself or an administrator
only, batched for any number of users."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.domain.context import domain_of
from handlers.domain.conversations import ConversationReads
from handlers.storage.models import Message
from kkapp.factory import Built
from tests.handlers.people import (
    USER,
    add,
    admin_bearer,
    at,
    bearer,
    client,
    closing,
    ready,
    user_row,
)
from tests.handlers.test_users_graphql import graphql, statements

pytestmark = pytest.mark.anyio
PRAC, CONV = "test_prac_123", "conv_test123"
SCOPES = ["read:messages", "write:messages", "read:profile"]
PAGE = """query($after: String) { me { messages(first: 2, after: $after) {
  totalCount edges { cursor node { id content sender { id } conversation { id } } }
  pageInfo { hasNextPage hasPreviousPage endCursor } } } }"""


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


async def send(app: Built, content: str, subject: str = USER) -> str:
    async with client(app) as c:
        r = await c.post(
            f"/v1/conversations/{CONV}/messages",
            json={"data": {"type": "message", "attributes": {"content": content}}},
            headers=bearer(app, subject, SCOPES),
        )
    assert r.status_code == 201, r.text
    found: str = r.json()["data"]["id"]
    return found


async def page(app: Built, after: str | None = None) -> dict[str, Any]:
    async with client(app) as c:
        r = await c.post(
            "/graphql",
            json={"query": PAGE, "variables": {"after": after}},
            headers=bearer(app, USER, SCOPES),
        )
    body = r.json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["me"]["messages"]
    return found


def contents(connection: dict[str, Any]) -> list[str]:
    return [e["node"]["content"] for e in connection["edges"]]


async def test_a_users_messages_page_newest_first_with_cursors_that_hold(app: Built) -> None:
    for i in range(5):
        await send(app, f"m{i}")
    await send(app, "from the practitioner", PRAC)
    first = await page(app)
    assert contents(first) == ["m4", "m3"] and first["totalCount"] == 5
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert {e["node"]["sender"]["id"] for e in first["edges"]} == {USER}
    assert first["edges"][0]["node"]["conversation"] == {"id": CONV}
    await send(app, "m5")  # a new message does not shift the pages after a cursor
    second = await page(app, first["pageInfo"]["endCursor"])
    assert contents(second) == ["m2", "m1"] and second["totalCount"] == 6
    third = await page(app, second["pageInfo"]["endCursor"])
    assert contents(third) == ["m0"] and third["pageInfo"]["hasNextPage"] is False
    assert contents(await page(app, first["edges"][0]["cursor"])) == ["m3", "m2"]
    assert contents(await page(app)) == ["m5", "m4"]


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "after",
    [
        "",
        "not a cursor!",
        b64("not|a"),
        b64("0001-01-01T00:00:00+01:00|msg_a"),  # before the first representable instant
        b64("2030-01-01T00:00:00Z|msg_\x00"),  # PostgreSQL text cannot hold NUL
        b64("2030-01-01T00:00:00Z|"),
        "AAAA",
    ],
)
async def test_a_cursor_the_server_did_not_make_reads_from_the_start(
    app: Built, after: str
) -> None:
    await send(app, "only")
    assert contents(await page(app, after)) == ["only"]


async def test_another_users_messages_are_refused_and_an_admin_reads_them(app: Built) -> None:
    await send(app, "mine")
    query = f"""{{ conversation(id: "{CONV}") {{
      participants {{ id messages {{ totalCount }} }} }} }}"""
    async with client(app) as c:
        r = await c.post("/graphql", json={"query": query}, headers=bearer(app, PRAC, SCOPES))
    body = r.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert error["path"][-1] == "messages"
    admin = await graphql(
        app, f'{{ user(id: "{USER}") {{ messages {{ totalCount }} }} }}', admin_bearer(app)
    )
    assert admin["data"]["user"]["messages"] == {"totalCount": 1}


async def test_many_users_messages_load_in_the_same_queries_as_one(app: Built) -> None:
    ids = [f"user_m{i}" for i in range(4)]
    await add(app, *[user_row(uid) for uid in ids])
    await add(
        app,
        *[
            Message(
                id=f"msg_m{i}{n}",
                conversation_id=CONV,
                sender_id=uid,
                content=f"{uid}/{n}",
                message_type="text",
                created_at=at(i + n),
            )
            for i, uid in enumerate(ids)
            for n in range(2)
        ],
    )
    domain = await ready(app)

    def query(users: list[str]) -> str:
        fields = " ".join(
            f'u{i}: user(id: "{u}") {{ messages(first: 1) '
            "{ totalCount edges { node { content } } } }"
            for i, u in enumerate(users)
        )
        return "{ " + fields + " }"

    with statements(app, domain) as one:
        alone = await graphql(app, query(ids[:1]), admin_bearer(app))
    with statements(app, domain) as many:
        together = await graphql(app, query(ids), admin_bearer(app))
    assert "errors" not in together, together
    assert together["data"]["u0"] == alone["data"]["u0"]
    for i, uid in enumerate(ids):
        connection = together["data"][f"u{i}"]["messages"]
        assert connection["totalCount"] == 2
        assert connection["edges"] == [{"node": {"content": f"{uid}/1"}}]
    assert len(many) == len(one)
    reads = domain_of(app.runtime.extras).get(ConversationReads)
    assert (await reads.sent([], 5, None)) == {}
