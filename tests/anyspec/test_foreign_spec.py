"""`kk mock --spec` on a spec written nothing like Klear Karma's (tests/fixtures/anyspec)."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kkcore.loader import load_document
from kkcore.table import build_table, derived_operation_id, server_path
from tests.anyspec.conftest import FIXTURE, mock_client

pytestmark = pytest.mark.anyio


def test_operations_without_an_id_get_one_from_method_and_path() -> None:
    table = build_table(load_document(FIXTURE))
    assert "get_geo_id_place_id_json" in table["operations"]
    assert derived_operation_id("get", "/pets/{petId}") == "get_pets_petId"


@pytest.mark.parametrize(
    ("url", "variables", "path"),
    [
        ("{scheme}://developer.uspto.gov/ds-api/", {"scheme": {"default": "https"}}, "/ds-api"),
        ("https://{host}/{base}", {"host": {"default": "h"}, "base": {"default": "v2"}}, "/v2"),
        ("/v1/", {}, "/v1"),
        ("v1", {}, "/v1"),
        ("https://api.example.com", {}, ""),
    ],
)
def test_every_server_url_form_gives_its_path(url: str, variables: dict, path: str) -> None:
    assert server_path({"url": url, "variables": variables}) == path


def test_refs_to_other_files_are_bundled_as_components() -> None:
    doc = load_document(FIXTURE)
    place = doc["components"]["schemas"]["Place"]
    assert place["properties"]["parent"] == {"$ref": "#/components/schemas/Place"}


def test_a_spec_and_its_refs_are_read_from_a_url() -> None:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(FIXTURE.parent))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            doc = load_document(f"http://127.0.0.1:{server.server_address[1]}/openapi.yaml")
        finally:
            server.shutdown()
    assert "Place" in doc["components"]["schemas"]


async def test_parameters_inside_a_segment_are_routed(anyspec: httpx.AsyncClient) -> None:
    place = await anyspec.get("/api/geo/id/paris.json")
    undelete = await anyspec.post("/api/v2/shelves:undelete")
    name = await anyspec.get("/api/v2/shelves")
    assert (place.status_code, undelete.status_code, name.status_code) == (200, 204, 200)


async def test_names_at_the_same_position_are_bound_per_operation(
    anyspec: httpx.AsyncClient,
) -> None:
    order = await anyspec.get("/api/order/7")
    refund = await anyspec.post("/api/order/7/issue_refund", json={"amount": 3})
    assert (order.status_code, refund.status_code) == (200, 201)


async def test_a_bad_request_gets_the_operations_own_documented_error(
    anyspec: httpx.AsyncClient,
) -> None:
    r = await anyspec.get("/api/geo/id/PARIS.json")
    body = r.json()
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert set(body) == {"code", "message"} and body["code"] == 400


async def test_without_a_documented_error_the_answer_is_rfc9457(
    anyspec: httpx.AsyncClient,
) -> None:
    r = await anyspec.post("/api/order/7/issue_refund", json={"amount": "three"})
    body = r.json()
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert body["status"] == 422 and body["errors"][0]["pointer"] == "#/amount"
    assert "klearkarma" not in r.text


async def test_text_with_nul_is_accepted_where_the_spec_does_not_refuse_it(
    anyspec: httpx.AsyncClient,
) -> None:
    r = await anyspec.post("/api/text", json={"note": "a\u0000b"})
    assert r.status_code == 200


async def test_missing_credentials_get_the_documented_401(anyspec: httpx.AsyncClient) -> None:
    without = await anyspec.get("/api/secret")
    with_token = await anyspec.get("/api/secret", headers={"Authorization": "Bearer anything"})
    assert without.status_code == 401 and "error" in without.json()
    assert with_token.status_code == 200


async def test_no_auth_turns_the_credential_check_off(tmp_path: Path) -> None:
    async with mock_client(FIXTURE, tmp_path, auth=False) as c:
        assert (await c.get("/api/secret")).status_code == 200


def test_unquoted_dates_in_a_spec_stay_strings_as_in_json(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Dates, version: '1'}\npaths:\n  /orders:\n    get:\n"
        "      responses:\n        '200':\n          description: An order\n          content:\n"
        "            application/json:\n              schema:\n                type: object\n"
        "                properties:\n                  placed: {type: string, format: date-time,"
        " example: 2019-05-17T12:00:00Z}\n                  due: {type: string, format: date,"
        " default: 2019-06-01}\n"
    )
    schema = load_document(spec)["paths"]["/orders"]["get"]["responses"]["200"]["content"]
    props = schema["application/json"]["schema"]["properties"]
    assert (props["placed"]["example"], props["due"]["default"]) == (
        "2019-05-17T12:00:00Z",
        "2019-06-01",
    )
    table = build_table(load_document(spec))
    assert "get_orders" in table["operations"]


async def test_a_spec_with_unquoted_dates_starts_and_answers(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Dates, version: '1'}\npaths:\n  /orders:\n    get:\n"
        "      responses:\n        '200':\n          description: An order\n          content:\n"
        "            application/json:\n              schema:\n                type: object\n"
        "                properties:\n                  placed: {type: string, format: date-time}\n"
        "              example: {placed: 2019-05-17T12:00:00Z}\n"
    )
    async with mock_client(spec, tmp_path) as c:
        answer = await c.get("/orders")
    assert answer.json() == {"placed": "2019-05-17T12:00:00Z"}
