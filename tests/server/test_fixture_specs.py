"""The same engine serves two unrelated specs (OpenAPI 3.1 and 3.0) with spec-valid answers."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from mocks.fake import FakeData
from server.schemas import standalone
from tests.engine import client, fixture_table, mock_app

pytestmark = pytest.mark.anyio
FAKE = FakeData(seed=3)
SPECS = ["petstore31", "library30"]
CASES = [(name, op_id) for name in SPECS for op_id in fixture_table(name)["operations"]]


@functools.cache
def mocked(name: str) -> Any:
    """The spec's mock (app, table, engine), built on first use rather than at import."""
    return mock_app(fixture_table(name))


def valid_request(name: str, op_id: str) -> tuple[str, str, dict[str, Any]]:
    table = fixture_table(name)
    spec = table["operations"][op_id]
    url, query, headers = spec["path"], {}, {}
    for p in spec["parameters"]:
        if not p["required"]:
            continue
        value = FAKE.instance(standalone(p["schema"], table["defs"]), key=f"{op_id}:{p['name']}")
        engine = mocked(name)[2]
        stored = engine.catalog.resource_for_param(p["name"], p["schema"])
        if p["location"] == "path" and stored is not None:  # the mock is stateful: a stored one
            value = next(engine.store.ids(stored.key))
        if p["location"] == "path":
            url = url.replace("{" + p["name"] + "}", str(value))
        elif p["location"] == "query":
            query[p["name"]] = str(value).lower() if isinstance(value, bool) else value
        elif p["location"] == "header":
            headers[p["name"]] = str(value)
    kwargs: dict[str, Any] = {"params": query, "headers": headers}
    body = spec.get("request_body")
    if body:
        media_type, media = next(iter(body["content"].items()))
        value = FAKE.instance(
            standalone(media.get("schema") or {}, table["defs"]),
            key=f"{op_id}:body",
            for_request=True,
        )
        assert media_type.endswith("json"), (
            f"fixture {name} {op_id}: extend this test for {media_type}"
        )
        kwargs["json"] = value
    return spec["method"], url, kwargs


@pytest.mark.parametrize(("name", "op_id"), CASES)
async def test_every_operation_of_both_fixture_specs_answers_within_its_contract(
    name: str, op_id: str
) -> None:
    method, url, kwargs = valid_request(name, op_id)
    async with client(mocked(name)[0]) as c:
        assert (
            await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        ).status_code == 200
        r = await c.request(method, url, **kwargs)
    assert r.status_code < 300, (method, url, kwargs, r.text[:600])


@pytest.mark.parametrize("name", SPECS)
async def test_unknown_paths_of_any_spec_get_a_404_in_its_own_error_format(name: str) -> None:
    async with client(mocked(name)[0]) as c:
        r = await c.get("/definitely/not/here")
    assert r.status_code == 404
    if fixture_table(name).get("error_format") == "jsonapi":
        assert r.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
    else:  # RFC 9457, as for any error the spec does not document
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 404
