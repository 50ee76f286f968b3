"""#15 item 1: depth, field-count and cost bounds refuse a query bomb before anything runs."""

from __future__ import annotations

from typing import Any

import pytest
from ariadne import QueryType
from graphql import parse
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from kkapp.config import AppConfig
from kkapp.factory import build
from server.graphql import Bounds, build_graphql_app
from server.graphql_limits import QueryLimits, measure
from tests.engine import client

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def mock_app() -> Any:
    return build(AppConfig("mock")).app


SDL = """
type Query { node(first: Int): Node! }
type Node { id: ID!  children(first: Int): [Node!]! }
"""


SEARCH = """query SearchPractitioners($specialization: String, $first: Int, $after: String) {
  practitioners(filter: {specialization: $specialization}, first: $first, after: $after) {
    edges { node { id user { firstName lastName } specializations { name category } rating
                   pricing { basePrice currency } availability { nextAvailable } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def reviews_bomb(levels: int, page: int = 2) -> str:
    """The issue's query: practitioner -> reviews -> practitioner ... `levels` deep."""
    inner = "id"
    for _ in range(levels):
        inner = f"reviews(first: {page}) {{ edges {{ node {{ practitioner {{ id {inner} }} }} }} }}"
    return f'{{ practitioner(id: "prac_123") {{ {inner} }} }}'


def counting_app(limits: QueryLimits) -> tuple[Any, list[str]]:
    calls: list[str] = []
    query = QueryType()

    def node(*_: Any, **__: Any) -> dict[str, Any]:
        calls.append("node")
        return {"id": "n", "children": []}

    query.set_field("node", node)
    gql = build_graphql_app(
        SDL, [query], scopes={}, authenticator=None, mock=None, bounds=Bounds(limits=limits)
    )
    return Starlette(routes=[Route("/graphql", gql, methods=["POST"])]), calls


async def post(app: Any, query: str, **variables: Any) -> tuple[int, dict[str, Any]]:
    async with client(app) as c:
        r = await c.post("/graphql", json={"query": query, "variables": variables})
    return r.status_code, r.json()


async def test_the_issues_nested_reviews_bomb_is_refused_as_too_deep_without_data(
    mock_app: Any,
) -> None:
    status, body = await post(mock_app, reviews_bomb(25))
    assert status == 400 and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"


async def test_a_shallower_bomb_is_refused_by_its_cost(mock_app: Any) -> None:
    status, body = await post(mock_app, reviews_bomb(3, page=100))  # 14 deep: within the bound
    assert status == 400
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"QUERY_TOO_COMPLEX"}
    assert body["errors"][0]["extensions"]["limit"]["name"] == "cost"


async def test_two_hundred_aliased_searches_are_refused(mock_app: Any) -> None:
    aliases = " ".join(
        f"a{i}: practitioners(first: 100) {{ edges {{ node {{ id }} }} }}" for i in range(200)
    )
    status, body = await post(mock_app, f"{{ {aliases} }}")
    assert status == 400 and "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_a_page_size_in_a_variable_costs_what_the_request_asks() -> None:
    app, calls = counting_app(QueryLimits(max_cost=150))
    query = "query($n: Int) { node { children(first: $n) { children(first: 2) { id } } } }"
    status, body = await post(app, query, n=60)
    assert status == 400 and calls == []
    assert body["errors"][0]["extensions"]["limit"] == {
        "name": "cost",
        "maximum": 150,
        "actual": 1 + 1 + 60 * (1 + 2 * 1),
    }
    status, body = await post(app, query, n=40)  # the same document, a smaller page
    assert status == 200 and calls == ["node"]
    status, body = await post(app, query)  # absent: the largest page
    assert status == 400 and body["errors"][0]["extensions"]["limit"]["actual"] == 302


async def test_fragments_spread_many_times_count_every_time_and_nothing_runs() -> None:
    app, calls = counting_app(QueryLimits(max_fields=50))
    fragments = "fragment F0 on Node { id }\n" + "\n".join(
        f"fragment F{i} on Node {{ a: children {{ ...F{i - 1} }} b: children {{ ...F{i - 1} }} }}"
        for i in range(1, 12)
    )
    status, body = await post(app, f"{{ node {{ ...F11 }} }}\n{fragments}")
    assert status == 400 and calls == []
    assert body["errors"][0]["extensions"]["code"] in ("QUERY_TOO_DEEP", "QUERY_TOO_COMPLEX")


async def test_a_document_over_the_token_limit_is_refused_while_parsed() -> None:
    app, calls = counting_app(QueryLimits(max_tokens=100))
    status, body = await post(app, "{ node { " + "id " * 200 + "} }")
    assert status == 400 and calls == []
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=4))
def test_variables_cost_what_the_same_literals_cost(pages: list[int]) -> None:
    literal, variable = "id", "id"
    for i, size in reversed(list(enumerate(pages))):
        literal = f"children(first: {size}) {{ {literal} }}"
        variable = f"children(first: $v{i}) {{ {variable} }}"
    sizes = {f"v{i}": size for i, size in enumerate(pages)}
    assert (
        measure(parse(f"{{ {variable} }}")).cost(sizes) == measure(parse(f"{{ {literal} }}")).cost()
    )


async def test_a_query_within_the_bounds_runs() -> None:
    app, calls = counting_app(QueryLimits(max_depth=3))
    status, body = await post(app, "{ node { children(first: 5) { id } } }")
    assert status == 200 and body["data"] == {"node": {"children": []}} and calls == ["node"]


def test_the_reference_queries_and_introspection_are_within_the_defaults() -> None:
    from graphql import get_introspection_query

    limits = QueryLimits()
    found = measure(parse(get_introspection_query(descriptions=True)))
    assert found.depth <= limits.max_depth and found.fields <= limits.max_fields
    search = measure(parse(SEARCH))
    assert search.depth <= limits.max_depth
    assert search.cost({"first": 100}) <= limits.max_cost


async def test_the_reference_search_runs_on_the_mock(mock_app: Any) -> None:
    status, body = await post(mock_app, SEARCH, first=20)
    assert status == 200 and len(body["data"]["practitioners"]["edges"]) == 20


def test_limits_come_from_the_environment_and_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KK_GRAPHQL_MAX_DEPTH", "7")
    assert QueryLimits.from_env({"max_cost": 99}) == QueryLimits(max_depth=7, max_cost=99)
    with pytest.raises(ValueError, match="max_depth"):
        QueryLimits.from_env({"max_depth": 0})


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_cost_multiplies_nested_pages(pages: list[int]) -> None:
    inner = "id"
    for size in reversed(pages):
        inner = f"children(first: {size}) {{ {inner} }}"
    found = measure(parse(f"{{ node {{ {inner} }} }}"))
    expected = 1  # the innermost id
    for size in reversed(pages):
        expected = 1 + size * expected
    assert found.cost() == 1 + expected and found.depth == len(pages) + 2
