"""Properties of the store over the fixture specs: whatever valid request creates a resource,
the stored resource and every answer about it are valid (the apps validate each response and
would answer 500 otherwise); the same seed gives the same bytes in two app instances."""

from __future__ import annotations

import functools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kkapp.config import AppConfig
from kkapp.factory import build
from mocks.fake import FakeData
from server.schemas import directional
from tests.engine import FIXTURES, client, fixture_table

pytestmark = pytest.mark.anyio
SPECS = ("petstore31", "library30")
NOW = "2024-06-01T12:00:00Z"
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def app(spec: str, seed: int = 0) -> Any:
    path = str(FIXTURES / spec / "openapi.yaml")
    return build(AppConfig("mock", spec=path, seed=seed, options={"now": NOW})).app


# Built on first use, once per process (as the module-level dicts were), not at import: an
# xdist worker that collects this module without running it builds no app.
@functools.cache
def shared_app(spec: str) -> Any:
    return app(spec)


@functools.cache
def twins(spec: str) -> tuple[Any, Any]:
    return app(spec, seed=5), app(spec, seed=5)


@functools.cache
def table_of(spec: str) -> Any:
    """The fixture's table, built once per process: only read here (each example and step
    used to build it again)."""
    return fixture_table(spec)


CREATES = [
    (spec, op_id)
    for spec in SPECS
    for op_id, op in table_of(spec)["operations"].items()
    if op["method"] == "POST"
]


def create_request(spec: str, op_id: str, seed: int) -> tuple[str, Any]:
    table = table_of(spec)
    op = table["operations"][op_id]
    schema = next(iter(op["request_body"]["content"].values()))["schema"]
    body = FakeData(seed).instance(
        directional(schema, table["defs"], "request"), key=op_id, for_request=True
    )
    url = op["path"]
    for p in op["parameters"]:
        if p["location"] == "path":
            fake = FakeData(seed).instance(
                directional(p["schema"], table["defs"], "request"), key=p["name"]
            )
            url = url.replace("{" + p["name"] + "}", str(fake))
    return url, body


async def first_id(c: Any, spec: str) -> str:
    if spec == "petstore31":
        return str((await c.get("/v1/pets", params={"limit": 1})).json()["data"][0]["id"])
    return str((await c.get("/v1/books", params={"limit": 1})).json()["items"][0]["isbn"])


@pytest.mark.parametrize(("spec", "op_id"), CREATES)
@SETTINGS
@given(seed=st.integers(min_value=0, max_value=2**32))
async def test_any_valid_create_stores_a_valid_resource(spec: str, op_id: str, seed: int) -> None:
    url, body = create_request(spec, op_id, seed)
    async with client(shared_app(spec)) as c:
        await c.post("/__sandbox/reset")
        if op_id == "createVisit":  # a visit needs an existing pet
            url = f"/v1/pets/{await first_id(c, spec)}/visits"
        created = await c.post(url, json=body)
        assert created.status_code == 201, created.text
        location = created.headers.get("location")
        if location:
            read = await c.get(location)
            assert read.status_code == 200 and read.json() == created.json()


SEQUENCE = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(min_value=0, max_value=10**6)),
        st.tuples(st.just("list"), st.integers(min_value=1, max_value=30), st.integers(0, 30)),
        st.tuples(st.just("patch"), st.integers(min_value=0, max_value=10**6)),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=10**6)),
    ),
    min_size=1,
    max_size=6,
)


async def replay(c: Any, spec: str, steps: list[tuple[Any, ...]]) -> list[tuple[int, bytes]]:
    await c.post("/__sandbox/reset")
    seen: list[tuple[int, bytes]] = []
    pets = spec == "petstore31"
    for n, step in enumerate(steps):
        headers = {"X-Request-ID": f"req-{n}"}
        if step[0] == "create":
            op = "createPet" if pets else "createBook"
            url, body = create_request(spec, op, step[1])
            r = await c.post(url, json=body, headers=headers)
        elif step[0] == "list":
            params = {"limit": step[1], "offset" if pets else "page": step[2] + (0 if pets else 1)}
            r = await c.get("/v1/pets" if pets else "/v1/books", params=params, headers=headers)
        else:
            target = (
                f"/v1/pets/{await first_id(c, spec)}"
                if pets
                else f"/v1/books/{await first_id(c, spec)}"
            )
            if step[0] == "delete":
                r = await c.delete(target, headers=headers)
            elif pets:
                r = await c.patch(target, json={"name": f"Pet {step[1]}"}, headers=headers)
            else:
                _, body = create_request(spec, "createBook", step[1])
                r = await c.put(target, json=body, headers=headers)
        seen.append((r.status_code, r.content if r.status_code < 300 else b""))
    return seen


@pytest.mark.parametrize("spec", SPECS)
@settings(SETTINGS, max_examples=8)
@given(steps=SEQUENCE)
async def test_the_same_seed_gives_the_same_bytes_in_two_app_instances(
    spec: str, steps: list[tuple[Any, ...]]
) -> None:
    one, two = twins(spec)
    async with client(one) as a, client(two) as b:
        assert await replay(a, spec, steps) == await replay(b, spec, steps)


async def test_the_flagships_seeded_and_generated_data_is_identical_across_instances() -> None:
    twins = [build(AppConfig("mock", seed=11)).app for _ in range(2)]
    answers = []
    for one in twins:
        async with client(one) as c:
            listed = await c.get("/v1/practitioners", params={"limit": 100})
            dynamic = await c.get("/v1/bookings/booking_123", headers={"Prefer": "dynamic=true"})
            availability = await c.get("/v1/practitioners/prac_123/availability")
            answers.append((listed.content, dynamic.content, availability.content))
    assert answers[0] == answers[1]
    async with client(build(AppConfig("mock", seed=12)).app) as c:
        other = (await c.get("/v1/practitioners", params={"limit": 100})).content
    assert other != answers[0][0]
