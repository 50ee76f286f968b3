"""GraphQL `messageAdded` over graphql-transport-ws on the sandbox's database: live from the
moment its `subscribe` frame is handled (the protocol has no acknowledgement; a ping answered
after it is the client's proof), and refused before it starts for whoever is not a party."""

from __future__ import annotations

from typing import Any

import pytest

from kkapp.factory import Built
from server.events import EventBus
from tests.handlers.people import USER, bearer
from tests.handlers.test_user_messages_graphql import send
from tests.sockets import Socket

pytestmark = pytest.mark.anyio
CONV = "conv_test123"
SCOPES = ["read:messages", "write:messages"]
ADDED = "subscription($c: ID!) { messageAdded(conversationId: $c) { id content } }"


def token(app: Built, subject: str = USER) -> str:
    return bearer(app, subject, SCOPES)["Authorization"].split()[1]


def subscribe(conversation: str = CONV) -> dict[str, Any]:
    payload = {"query": ADDED, "variables": {"c": conversation}}
    return {"id": "chat", "type": "subscribe", "payload": payload}


async def test_a_message_published_once_subscribe_is_answered_reaches_the_subscriber(
    sandbox: Built,
) -> None:
    bus: EventBus = sandbox.runtime.extras["bus"]
    heard = bus.subscribe(["messages"])
    sent = await send(sandbox, "Right after subscribing")
    created = await anext(aiter(heard))  # the stored message's event, to publish again below
    heard.close()
    async with Socket(sandbox.app, "/graphql") as gql:
        await gql.init(token(sandbox))
        await gql.send(subscribe())
        assert await gql.drained() == []  # the subscribe frame has been handled
        # no await between the pong and the event: the subscription must be live already,
        # not waiting for its first step (after a database read) in another task
        await bus.publish(created)
        added = (await gql.receive())["payload"]["data"]["messageAdded"]
        assert added == {"id": sent, "content": "Right after subscribing"}


async def test_an_outsider_is_refused_before_the_subscription_starts(sandbox: Built) -> None:
    async with Socket(sandbox.app, "/graphql") as gql:
        await gql.init(token(sandbox, "user_999"))
        refused = await gql.ask(subscribe())
        assert refused["type"] == "error" and refused["id"] == "chat"
        await send(sandbox, "Not for outsiders")
        assert await gql.drained() == []
