"""Kept read answers (server.answer_cache on the handlers) are the bytes an uncached server
would send, over any sequence of reads and writes."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkapp.factory import Built
from tests.handlers.people import PRACTITIONER, USER, bearer, client, ready

pytestmark = pytest.mark.anyio
SCOPES = [
    "read:practitioners",
    "read:bookings",
    "write:bookings",
    "read:profile",
    "write:profile",
]
READS = [
    f"/v1/users/{USER}",
    f"/v1/users/{USER}/preferences",
    f"/v1/users/{USER}/bookings?limit=5",
    f"/v1/users/{USER}/bookings?status=confirmed",
    "/v1/practitioners?limit=5",
    f"/v1/practitioners/{PRACTITIONER}",
    f"/v1/practitioners/{PRACTITIONER}/availability",
]
PER_REQUEST = {"x-request-id", "date", "server"}
counter = itertools.count()


def _headers(r: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in r.headers.items() if k.lower() not in PER_REQUEST}


async def _read(c: httpx.AsyncClient, app: Built, path: str, rid: str) -> None:
    rid = f"{rid}{next(counter)}"  # (a kept answer's bytes get this id spliced in)
    headers = {**bearer(app, scopes=SCOPES), "X-Request-ID": rid}
    answers = app.runtime.extras["answers"]
    kept = await c.get(path, headers=headers)
    answers.enabled = False
    try:
        plain = await c.get(path, headers=headers)
    finally:
        answers.enabled = True
    assert (kept.status_code, kept.content) == (plain.status_code, plain.content), path
    assert _headers(kept) == _headers(plain)


async def _write(c: httpx.AsyncClient, app: Built, kind: str, n: int) -> None:
    headers = bearer(app, scopes=SCOPES)
    if kind == "profile":
        body: dict[str, Any] = {"data": {"type": "user", "attributes": {"first_name": f"Name{n}"}}}
        r = await c.put(f"/v1/users/{USER}", json=body, headers=headers)
    elif kind == "preferences":
        attrs = {"language": ["en", "es", "fr"][n % 3]}
        body = {"data": {"type": "user_preferences", "attributes": attrs}}
        r = await c.put(f"/v1/users/{USER}/preferences", json=body, headers=headers)
    else:
        found = await c.get(f"/v1/practitioners/{PRACTITIONER}/availability", headers=headers)
        free = [
            s["start_time"] for s in found.json()["data"]["attributes"]["slots"] if s["available"]
        ]
        attrs = {
            "practitioner_id": PRACTITIONER,
            "scheduled_at": free[n % len(free)],
            "duration": 60,
            "session_type": "video_call",
        }
        r = await c.post(
            "/v1/bookings", json={"data": {"type": "booking", "attributes": attrs}}, headers=headers
        )
    assert r.status_code in (200, 201), r.text


ACTIONS = st.one_of(
    st.tuples(
        st.just("read"),
        st.sampled_from(READS),
        st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._:\-]{0,98}\Z"),
    ),
    st.tuples(
        st.just("write"), st.sampled_from(["profile", "preferences", "booking"]), st.just("")
    ),
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(actions=st.lists(ACTIONS, min_size=1, max_size=14))
async def test_kept_answers_are_the_bytes_of_uncached_ones_between_any_writes(
    sandbox: Built, actions: list[tuple[str, str, str]]
) -> None:
    await ready(sandbox)
    async with client(sandbox) as c:
        for n, (kind, what, rid) in enumerate(actions):
            if kind == "read":
                await _read(c, sandbox, what, rid)
            else:
                await _write(c, sandbox, what, n)
