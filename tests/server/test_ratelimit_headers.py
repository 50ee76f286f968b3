"""The IETF draft's RateLimit-Policy and RateLimit headers (structured fields, read back with
the http-sf parser) beside the reference's X-RateLimit-*, telling the same numbers."""

from __future__ import annotations

import http_sf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkapp.config import AppConfig
from kkapp.factory import build
from server.auth.limits import sf_string
from tests.engine import FIXTURES, client

pytestmark = pytest.mark.anyio
PETSTORE = str(FIXTURES / "petstore31" / "openapi.yaml")


def parsed(value: str) -> tuple[str, dict[str, int]]:
    [(name, params)] = http_sf.parse(value.encode(), tltype="list")
    return name, params


async def test_every_answer_carries_the_draft_headers_agreeing_with_x_ratelimit() -> None:
    config = AppConfig(
        "mock",
        spec=PETSTORE,
        data_dir="/nonexistent",
        rate_limits="on",
        limits={"tiers": {"anonymous": {"per_hour": 3}}},
    )
    async with client(build(config).app) as c:
        answers = [await c.get("/v1/pets") for _ in range(4)]
    for r in answers[:3]:
        policy, limits = parsed(r.headers["ratelimit-policy"])
        name, state = parsed(r.headers["ratelimit"])
        assert policy == name
        assert limits == {"q": int(r.headers["x-ratelimit-limit"]), "w": 3600}
        assert state["r"] == int(r.headers["x-ratelimit-remaining"])
        assert 0 < state["t"] <= 3600
    assert [parsed(r.headers["ratelimit"])[1]["r"] for r in answers[:3]] == [2, 1, 0]
    refused = answers[3]
    assert refused.status_code == 429
    assert parsed(refused.headers["ratelimit"])[1]["r"] == 0
    assert parsed(refused.headers["ratelimit"])[1]["t"] <= int(refused.headers["retry-after"])


@given(st.text(max_size=40))
def test_any_policy_name_is_written_as_a_valid_structured_field_string(name: str) -> None:
    [(parsed_name, params)] = http_sf.parse(f"{sf_string(name)};q=1;w=2".encode(), tltype="list")
    assert params == {"q": 1, "w": 2}
    printable = all(" " <= ch <= "~" for ch in name)
    assert (parsed_name == name) if printable else len(parsed_name) == len(name)
