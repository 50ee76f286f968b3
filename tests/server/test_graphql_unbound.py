"""Production GraphQL (no mocks): a root field no bindable resolves answers 501 NOT_IMPLEMENTED,
like an unbound REST operation, never a null that breaks its non-null type (a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from ariadne import QueryType
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from server.graphql import build_graphql_app

SDL = """
type Query { bound: String!  unbound: String!  maybe(id: ID!): String }
type Mutation { change(to: Int!): Int! }
type Subscription { ticks: Int! }
"""


def _client(mock: Any = None) -> TestClient:
    query = QueryType()
    query.set_field("bound", lambda *_: "here")
    gql = build_graphql_app(SDL, [query], scopes={}, authenticator=None, mock=mock)
    app = Starlette(
        routes=[Route("/graphql", gql, methods=["POST"]), WebSocketRoute("/graphql", gql)]
    )
    return TestClient(app)


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("{ unbound }", "Query.unbound"),
        ('{ maybe(id: "1") }', "Query.maybe"),
        ("mutation { change(to: 3) }", "Mutation.change"),
    ],
)
def test_an_unbound_root_field_answers_not_implemented(document: str, field: str) -> None:
    with _client() as c:
        body = c.post("/graphql", json={"query": document}).json()
    [error] = body["errors"]
    assert error["extensions"] == {"code": "NOT_IMPLEMENTED", "status": 501}
    assert field in error["message"]


def test_bound_fields_still_resolve_next_to_an_unbound_one() -> None:
    with _client() as c:
        body = c.post("/graphql", json={"query": "{ bound maybe(id: 1) }"}).json()
    assert body["data"] == {"bound": "here", "maybe": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_IMPLEMENTED"


def test_an_unbound_subscription_is_refused_with_not_implemented() -> None:
    with _client() as c, c.websocket_connect("/graphql", ["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {"type": "subscribe", "id": "1", "payload": {"query": "subscription { ticks }"}}
        )
        reply = ws.receive_json()
    assert reply["type"] == "error", reply
    assert reply["payload"][0]["extensions"]["code"] == "NOT_IMPLEMENTED"


def test_with_mocks_unbound_fields_are_left_to_the_mock() -> None:
    def mock(schema: Any) -> None:
        schema.type_map["Query"].fields["unbound"].resolve = lambda *_: "mocked"

    with _client(mock) as c:
        body = c.post("/graphql", json={"query": "{ bound unbound }"}).json()
    assert body == {"data": {"bound": "here", "unbound": "mocked"}}
