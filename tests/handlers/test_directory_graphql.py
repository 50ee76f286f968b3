"""GraphQL of the practitioner directory on the sandbox's database: the same search as REST,
keyset cursors that stay stable while the directory changes, the radius filter, reviews in
batches."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import GraphQLError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from handlers.domain.directory_order import distance_km
from handlers.storage.models import Practitioner, Review, User
from kkapp.factory import Built
from kkcore.errors import BadRequest, InsufficientPermissions
from server.graphql import format_error
from tests.handlers.people import add, bearer, client, closing, ready
from tests.handlers.test_users_graphql import statements

pytestmark = pytest.mark.anyio
READER = ["read:practitioners", "read:profile"]
SORTS = ["RELEVANCE", "RATING", "PRICE_ASC", "PRICE_DESC", "TOTAL_SESSIONS", "NEXT_AVAILABLE"]
PAGE = """query($first: Int, $after: String, $sort: PractitionerSort, $filter: PractitionerFilter) {
  practitioners(first: $first, after: $after, sort: $sort, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { id rating pricing { basePrice } totalSessions verified } } } }"""


@pytest.fixture
async def app(sandbox: Built) -> AsyncIterator[Built]:
    async for built in closing(sandbox):
        yield built


async def graphql(app: Built, query: str, **variables: Any) -> dict[str, Any]:
    async with client(app) as c:
        r = await c.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(app, scopes=READER),
        )
    body: dict[str, Any] = r.json()
    return body


async def walk(app: Built, size: int, sort: str, **variables: Any) -> list[str]:
    """Every id of the directory in `sort` order, a page of `size` at a time."""
    seen: list[str] = []
    after = None
    while True:
        body = await graphql(app, PAGE, first=size, after=after, sort=sort, **variables)
        page = body["data"]["practitioners"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert page["pageInfo"]["hasPreviousPage"] is (len(seen) > size)


async def rest_order(app: Built, sort: str, verified: str = "true") -> list[str]:
    async with client(app) as c:
        r = await c.get(
            "/v1/practitioners",
            params={"sort": sort.lower(), "limit": 100, "verified": verified},
            headers=bearer(app, scopes=READER),
        )
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["data"]]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.integers(4, 40), sort=st.sampled_from(SORTS))
async def test_cursor_pages_cover_the_directory_in_the_order_rest_sorts_it(
    app: Built, size: int, sort: str
) -> None:
    walked = await walk(app, size, sort)
    assert walked == await rest_order(app, sort)
    assert len(walked) == len(set(walked))


EVERYONE = {"includeUnverified": True}
TOP = {"verified": True, "rating": 5.0, "total_sessions": 100_000, "price_amount": 1}
BOTTOM = {"verified": False, "rating": 1.0, "total_sessions": 0, "price_amount": 100_000}


@pytest.mark.parametrize("sort", ["RELEVANCE", "RATING", "PRICE_ASC", "TOTAL_SESSIONS"])
async def test_a_cursor_stays_valid_while_the_directory_changes(app: Built, sort: str) -> None:
    """The changelog's "cursor stability": the next page starts right after the cursor's row
    in the directory as it is now, though a practitioner joined at the top, one of the first
    page fell to the bottom and one of the next page rose to the top (an offset would repeat
    one and skip another)."""
    # (Unverified practitioners too: the one that falls to the bottom loses its badge.)
    first = (await graphql(app, PAGE, first=5, sort=sort, filter=EVERYONE))["data"]
    shown = [e["node"]["id"] for e in first["practitioners"]["edges"]]
    riser = (await rest_order(app, sort, "any"))[7]
    domain = await ready(app)
    async with domain.db.transaction() as session:
        session.add(Practitioner(id="prac_newcomer", first_name="N", last_name="C", **TOP))
        for pid, values in ((shown[0], BOTTOM), (riser, TOP)):
            row = await session.get_one(Practitioner, pid)
            for key, value in values.items():
                setattr(row, key, value)
    now = await rest_order(app, sort, "any")
    expected = now[now.index(shown[-1]) + 1 :]
    end = first["practitioners"]["pageInfo"]["endCursor"]
    assert await walk_from(app, sort, end) == expected
    assert expected != now[5:]  # what an offset would have given
    assert shown[0] in expected and riser not in expected


async def walk_from(app: Built, sort: str, after: str) -> list[str]:
    body = await graphql(app, PAGE, first=100, after=after, sort=sort, filter=EVERYONE)
    return [e["node"]["id"] for e in body["data"]["practitioners"]["edges"]]


async def test_a_cursor_of_another_order_or_garbage_is_a_validation_error(app: Built) -> None:
    rating = (await graphql(app, PAGE, first=1, sort="RATING"))["data"]["practitioners"]
    for after in (rating["pageInfo"]["endCursor"], "not-a-cursor", "e30"):
        body = await graphql(app, PAGE, first=1, after=after, sort="PRICE_ASC")
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lat=st.floats(-60, 70),
    lon=st.floats(-179, 179),
    km=st.floats(1, 9000),
)
async def test_the_radius_filter_is_the_great_circle_distance(
    app: Built, lat: float, lon: float, km: float
) -> None:
    domain = await ready(app)
    async with domain.db.session() as session:
        rows = (await session.execute(select(Practitioner))).scalars().all()
    expected = {
        p.id
        for p in rows
        if p.latitude is not None
        and p.longitude is not None
        and distance_km(lat, lon, p.latitude, p.longitude) <= km
    }
    where = {"location": {"latitude": lat, "longitude": lon, "radiusKm": km}}
    found = await walk(app, 100, "RATING", filter=where)
    assert set(found) == expected


def test_distance_km_knows_new_york_to_london() -> None:
    assert math.isclose(distance_km(40.7128, -74.006, 51.5074, -0.1278), 5570, rel_tol=0.01)
    assert distance_km(10, 20, 10, 20) == 0


async def test_filters_match_what_rest_finds(app: Built) -> None:
    where = {"specialization": "yoga", "ratingMin": 4.5, "priceMax": 150, "sessionType": "CHAT"}
    found = await walk(app, 100, "RATING", filter=where)
    async with client(app) as c:
        r = await c.get(
            "/v1/practitioners",
            params={
                "specialization": "yoga",
                "rating_min": 4.5,
                "price_max": 150,
                "session_type": "chat",
                "sort": "rating",
                "limit": 100,
            },
            headers=bearer(app, scopes=READER),
        )
    assert found == [p["id"] for p in r.json()["data"]]
    assert found  # the seeded directory has such practitioners


async def test_country_and_verified_filters(app: Built) -> None:
    found = await walk(app, 100, "RATING", filter={"verified": True, "location": {"country": "gb"}})
    domain = await ready(app)
    async with domain.db.session() as session:
        expected = set(
            await session.scalars(
                select(Practitioner.id).where(
                    Practitioner.verified.is_(True), Practitioner.country == "GB"
                )
            )
        )
    assert set(found) == expected and expected


async def test_half_a_point_is_a_validation_error(app: Built) -> None:
    body = await graphql(app, PAGE, filter={"location": {"latitude": 1.0, "radiusKm": 5.0}})
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"


REVIEWS = """query($first: Int, $after: String, $n: Int) {
  practitioners(first: $n, sort: TOTAL_SESSIONS) { edges { node { id
    reviews(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id rating createdAt author { id firstName } practitioner { id } } }
    } } } } }"""


async def test_reviews_are_newest_first_paged_and_loaded_in_batches(app: Built) -> None:
    domain = await ready(app)
    with statements(app, domain) as few:
        await graphql(app, REVIEWS, first=2, n=2)
    with statements(app, domain) as seen:
        body = await graphql(app, REVIEWS, first=2, n=8)
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["practitioners"]["edges"]]
    assert len(nodes) == 8
    assert len(seen) == len(few)  # not one query per practitioner or per review author
    async with domain.db.session() as session:
        for n in nodes:
            rows = list(
                await session.scalars(
                    select(Review)
                    .where(Review.practitioner_id == n["id"])
                    .order_by(Review.created_at.desc(), Review.id.desc())
                )
            )
            got = n["reviews"]
            assert got["totalCount"] == len(rows)
            assert [e["node"]["id"] for e in got["edges"]] == [r.id for r in rows[:2]]
            assert got["pageInfo"]["hasNextPage"] is (len(rows) > 2)
            for e in got["edges"]:
                assert e["node"]["practitioner"]["id"] == n["id"]
                assert e["node"]["author"]["firstName"]  # a seeded user
    busiest = nodes[0]
    assert busiest["reviews"]["totalCount"] > 2
    cursor = busiest["reviews"]["pageInfo"]["endCursor"]
    more = await graphql(
        app,
        """query($id: ID!, $after: String) { practitioner(id: $id) {
            reviews(first: 100, after: $after) { edges { node { id } } } } }""",
        id=busiest["id"],
        after=cursor,
    )
    rest = [e["node"]["id"] for e in more["data"]["practitioner"]["reviews"]["edges"]]
    assert len(rest) == busiest["reviews"]["totalCount"] - 2
    assert not set(rest) & {e["node"]["id"] for e in busiest["reviews"]["edges"]}


async def test_a_practitioner_with_an_account_shows_that_user(app: Built) -> None:
    domain = await ready(app)
    row = Practitioner(
        id="prac_acct", user_id="test_user_123", first_name="X", last_name="Y", price_amount=10
    )
    await add(app, row)
    body = await graphql(
        app,
        """{ practitioner(id: "prac_acct") { user { id email } }
             nobody: practitioner(id: "prac_none") { id } }""",
    )
    async with domain.db.session() as session:
        account = await session.get_one(User, "test_user_123")
    assert body["data"]["practitioner"]["user"] == {"id": account.id, "email": account.email}
    assert body["data"]["nobody"] is None


def test_a_refused_argument_is_classified_as_a_client_error() -> None:
    """Schemathesis (and clients) tell a bad argument from a server failure by this label."""
    bad = format_error(GraphQLError("x", original_error=BadRequest("bad cursor")))
    denied = format_error(GraphQLError("x", original_error=InsufficientPermissions("no")))
    crash = format_error(GraphQLError("x", original_error=RuntimeError("boom")))
    assert bad["extensions"] == {
        "code": "VALIDATION_ERROR",
        "status": 400,
        "classification": "ValidationError",
    }
    assert "classification" not in denied["extensions"]
    assert crash["extensions"] == {"code": "INTERNAL_ERROR", "status": 500}
    assert crash["message"] == "An unexpected error occurred"


async def test_a_reviews_author_shows_others_only_public_fields(app: Built) -> None:
    """As REST: another user's contact details are the user's and administrators' only."""
    query = """{ practitioners(first: 1, sort: TOTAL_SESSIONS) { edges { node { reviews(first: 1) {
        edges { node { author { id firstName phoneNumber dateOfBirth address { city } } } } } } } }
        me { id email } }"""
    body = await graphql(app, query)
    assert "errors" not in body, body
    [edge] = body["data"]["practitioners"]["edges"][0]["node"]["reviews"]["edges"]
    author = edge["node"]["author"]
    assert author["id"] != "test_user_123"  # (the caller: its own details would show)
    assert author["firstName"]
    assert (author["phoneNumber"], author["dateOfBirth"], author["address"]) == (None,) * 3
    assert body["data"]["me"]["email"]
    asked = await graphql(
        app,
        """{ practitioners(first: 1, sort: TOTAL_SESSIONS) { edges { node {
            reviews(first: 1) { edges { node { author { email } } } } } } } }""",
    )
    assert asked["data"] is None  # the non-null e-mail's error nulls up to the root
    assert [e["extensions"]["code"] for e in asked["errors"]] == ["INSUFFICIENT_PERMISSIONS"]
