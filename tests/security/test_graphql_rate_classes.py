"""#15 item 4: each GraphQL root field spends the rate-limit class of the REST operation it
mirrors; aliased copies each count, and over the limit the field is RATE_LIMIT_EXCEEDED."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kkapp.factory import Built
from server.auth.limits import RateLimits
from tests.auth.helpers import BASE, auth, bearer, sandbox

pytestmark = pytest.mark.anyio
LIMITS: dict[str, Any] = {
    "tiers": {"free": {"per_hour": 1000, "burst": 1000}},
    "classes": {
        "search": {"limit": 3, "window": 60},
        "booking_create": {"limit": 2, "window": 60},
    },
}


@pytest.fixture
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Built]:
    # The mocks answer (no database): the limits are the engine's.
    built = sandbox(
        str(tmp_path_factory.mktemp("gql-limits")),
        handlers=False,
        rate_limits="on",
        limits=LIMITS,
    )
    yield built
    limiter = built.runtime.rate_limiter
    if isinstance(limiter, RateLimits):
        await limiter.close()


SCOPES = ["read:practitioners", "write:bookings", "read:bookings", "read:profile"]


def session(built: Built) -> httpx.AsyncClient:
    token = auth(built).issue_token("test_user_123", SCOPES)
    transport = httpx.ASGITransport(app=built.app, client=("127.0.0.1", 40000))
    return httpx.AsyncClient(transport=transport, base_url=BASE, headers=bearer(token))


async def post(built: Built, query: str) -> dict[str, Any]:
    async with session(built) as c:
        r = await c.post("/graphql", json={"query": query})
    body: dict[str, Any] = r.json()
    return body


def refused(body: dict[str, Any]) -> list[str]:
    return sorted(
        e["path"][0]
        for e in body.get("errors", [])
        if e["extensions"]["code"] == "RATE_LIMIT_EXCEEDED"
    )


async def test_aliased_searches_each_spend_the_search_class(app: Built) -> None:
    aliases = " ".join(f"s{i}: practitioners(first: 1) {{ totalCount }}" for i in range(5))
    body = await post(app, f"{{ {aliases} }}")
    # The connection is non-null: the first refused field nulls the whole answer.
    assert refused(body)[:1] == ["s3"] and body["data"] is None
    again = await post(app, "{ practitioners(first: 1) { totalCount } }")
    assert refused(again) == ["practitioners"]


async def test_aliased_bookings_stop_at_the_booking_class(app: Built) -> None:
    made = " ".join(
        f"""b{i}: createBooking(input: {{practitionerId: "test_prac_123",
            scheduledAt: "2031-01-0{i + 1}T16:00:00Z", duration: 60, sessionType: PHONE_CALL}})
            {{ booking {{ id }} errors {{ code }} }}"""
        for i in range(5)
    )
    body = await post(app, f"mutation {{ {made} }}")
    assert refused(body)[:1] == ["b2"] and body["data"] is None
    async with session(app) as c:
        listed = await c.get("/v1/users/test_user_123/bookings", params={"limit": 100})
    made_now = [b for b in listed.json()["data"] if b["attributes"]["scheduled_at"] > "2031"]
    assert len(made_now) == 2


async def test_other_root_fields_are_not_held_by_a_spent_class(app: Built) -> None:
    aliases = " ".join(f"s{i}: practitioners(first: 1) {{ totalCount }}" for i in range(3))
    assert refused(await post(app, f"{{ {aliases} }}")) == []
    body = await post(app, '{ a: practitioner(id: "prac_123") { id } b: me { id } }')
    assert "errors" not in body
    assert body["data"] == {"a": {"id": "prac_123"}, "b": {"id": "test_user_123"}}


async def test_a_kept_answer_still_spends_the_search_class(
    app: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.graphql_http import AnswerCache

    hits: list[bool] = []
    get = AnswerCache.get

    def counted(self: AnswerCache, key: Any, version: Any) -> Any:
        found = get(self, key, version)
        hits.append(found is not None)
        return found

    monkeypatch.setattr(AnswerCache, "get", counted)
    query = {"query": "{ practitioners(first: 1) { totalCount } }"}
    async with session(app) as c:  # one token: answers are kept per credentials
        answers = [(await c.post("/graphql", json=query)).json() for _ in range(4)]
    assert answers[0] == answers[1] == answers[2] and "errors" not in answers[0]
    assert hits == [False, True, True, True]  # kept with rate limits on
    assert refused(answers[3]) == ["practitioners"]  # the class's fourth search in its window


async def test_kept_answers_still_count_against_the_account_budget(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tight = {"tiers": {"free": {"per_hour": 3, "burst": 3}}, "classes": {}}
    built = sandbox(
        str(tmp_path_factory.mktemp("gql-budget")), handlers=False, rate_limits="on", limits=tight
    )
    try:
        async with session(built) as c:
            codes = [
                (await c.post("/graphql", json={"query": "{ me { id } }"})).status_code
                for _ in range(4)
            ]
        assert codes == [200, 200, 200, 429]
    finally:
        limiter = built.runtime.rate_limiter
        if isinstance(limiter, RateLimits):
            await limiter.close()
