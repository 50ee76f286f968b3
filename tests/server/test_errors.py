"""Every error class answers the reference's JSON:API error document with exact status and code."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from kkcore.errors import Conflict
from server.binding import OperationGroup
from server.ports import OperationRequest
from server.responses import Reply
from tests.engine import client, engine_app

pytestmark = pytest.mark.anyio

items = OperationGroup("items")
photos = OperationGroup("photos")


@items.operation("getItem")
async def get_item(request: OperationRequest[Any, Any]) -> Reply:
    item_id = request.params["item_id"]
    if item_id == 500:
        raise RuntimeError("database password is hunter2")
    if item_id == 409:
        raise Conflict("Item 409 is locked")
    if item_id == 999:
        return Reply(200, {"id": "not-an-int"})
    return Reply(200, {"id": item_id, "name": "Lamp", "kind": "tool"})


@photos.operation("uploadPhoto")
async def upload_photo(request: OperationRequest[Any, Any]) -> Reply:
    return Reply(201, {"size": len(b"".join(request.body["file"].chunks()))})


APP, _ = engine_app("minimal31", mode="sandbox", groups=[items, photos], max_body_size=512)
STRICT, _ = engine_app("minimal31", mode="strict", groups=[items])


def check_document(body: dict[str, Any], status: int, code: str) -> list[dict[str, Any]]:
    assert set(body) == {"errors", "meta"}
    assert set(body["meta"]) == {"request_id", "timestamp", "documentation_url"}
    for e in body["errors"]:
        assert e["status"] == str(status)
        assert e["code"] == code
        assert e["id"].startswith("err_")
        assert e["title"] and e["detail"]
    return list(body["errors"])


async def call(app: Any, method: str, url: str, **kw: Any) -> Any:
    async with client(app) as c:
        return await c.request(method, url, **kw)


async def test_an_unknown_route_is_404_resource_not_found() -> None:
    r = await call(APP, "GET", "/api/nothing")
    assert r.status_code == 404
    check_document(r.json(), 404, "RESOURCE_NOT_FOUND")


async def test_a_wrong_method_is_405_with_every_allowed_method() -> None:
    r = await call(APP, "PATCH", "/api/items/3")
    assert r.status_code == 405
    assert r.headers["allow"] == "DELETE, GET"
    check_document(r.json(), 405, "METHOD_NOT_ALLOWED")


async def test_an_unacceptable_accept_header_is_406() -> None:
    r = await call(APP, "GET", "/api/items/3", headers={"Accept": "text/csv"})
    assert r.status_code == 406
    check_document(r.json(), 406, "NOT_ACCEPTABLE")


@pytest.mark.parametrize(
    "accept", ["*/*", "application/*", "application/json; q=0.9", "application/vnd.api+json"]
)
async def test_compatible_accept_headers_are_served(accept: str) -> None:
    r = await call(APP, "GET", "/api/items/3", headers={"Accept": accept})
    assert r.status_code == 200


async def test_a_body_over_the_limit_is_413() -> None:
    r = await call(APP, "POST", "/api/items", json={"name": "x" * 1000, "kind": "toy"})
    assert r.status_code == 413
    check_document(r.json(), 413, "PAYLOAD_TOO_LARGE")


async def test_an_undeclared_content_type_is_415() -> None:
    r = await call(
        APP, "POST", "/api/items", content=b"<item/>", headers={"content-type": "application/xml"}
    )
    assert r.status_code == 415
    check_document(r.json(), 415, "UNSUPPORTED_MEDIA_TYPE")


async def test_a_missing_content_type_is_415() -> None:
    r = await call(APP, "POST", "/api/items", content=b'{"name":"a","kind":"toy"}')
    assert r.status_code == 415


async def test_malformed_json_is_400() -> None:
    r = await call(
        APP, "POST", "/api/items", content=b'{"name":', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert "not valid JSON" in check_document(r.json(), 400, "VALIDATION_ERROR")[0]["detail"]


async def test_invalid_utf8_body_is_400() -> None:
    r = await call(
        APP,
        "POST",
        "/api/items",
        content=b'{"name":"\xff"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert "UTF-8" in check_document(r.json(), 400, "VALIDATION_ERROR")[0]["detail"]


async def test_a_schema_violating_body_is_422_with_every_problem_and_its_pointer() -> None:
    r = await call(APP, "POST", "/api/items", json={"name": "", "kind": "car", "price": 0, "x": 1})
    assert r.status_code == 422
    errors = check_document(r.json(), 422, "VALIDATION_ERROR")
    assert sorted(e["source"]["pointer"] for e in errors) == ["/kind", "/name", "/price", "/x"]


async def test_a_missing_required_property_points_at_the_property() -> None:
    r = await call(APP, "POST", "/api/items", json={"kind": "toy"})
    errors = check_document(r.json(), 422, "VALIDATION_ERROR")
    assert [e["source"] for e in errors] == [{"pointer": "/name"}]
    assert errors[0]["meta"] == {"validation_rule": "required", "field": "name"}


async def test_a_missing_required_body_is_422() -> None:
    r = await call(APP, "POST", "/api/items", headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_a_handler_crash_is_500_without_internals_and_logged_with_the_request_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="kk.error"):
        r = await call(APP, "GET", "/api/items/500", headers={"X-Request-ID": "trace-me-1"})
    assert r.status_code == 500
    assert "hunter2" not in r.text and "Traceback" not in r.text
    body = r.json()
    check_document(body, 500, "INTERNAL_ERROR")
    assert body["meta"]["request_id"] == "trace-me-1" == r.headers["x-request-id"]
    assert any(getattr(rec, "request_id", None) == "trace-me-1" for rec in caplog.records)


async def test_an_api_error_raised_by_a_handler_keeps_its_status_and_code() -> None:
    r = await call(APP, "GET", "/api/items/409")
    assert r.status_code == 409
    check_document(r.json(), 409, "RESOURCE_CONFLICT")


async def test_a_response_that_breaks_the_spec_is_caught_by_response_validation() -> None:
    r = await call(APP, "GET", "/api/items/999")
    assert r.status_code == 500
    errors = check_document(r.json(), 500, "INTERNAL_ERROR")
    assert {e["source"]["pointer"] for e in errors} == {"/id", "/name", "/kind"}
    assert all(e["detail"].startswith("Response body: ") for e in errors)


async def test_strict_mode_answers_501_for_an_unbound_operation() -> None:
    r = await call(STRICT, "DELETE", "/api/items/3")
    assert r.status_code == 501
    check_document(r.json(), 501, "NOT_IMPLEMENTED")


async def test_a_request_id_is_generated_when_the_client_sends_none_or_a_bad_one() -> None:
    r = await call(APP, "GET", "/api/items/3", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"].startswith("req_")


async def test_multipart_uploads_reach_the_handler_as_files() -> None:
    r = await call(
        APP, "POST", "/api/items/3/photo", files={"file": ("a.png", b"PNGDATA", "image/png")}
    )
    assert r.status_code == 201
    assert r.json() == {"size": 7}


async def test_a_file_of_an_undeclared_type_is_415() -> None:
    r = await call(
        APP, "POST", "/api/items/3/photo", files={"file": ("a.gif", b"GIF", "image/gif")}
    )
    assert r.status_code == 415


async def test_broken_multipart_is_400() -> None:
    r = await call(
        APP,
        "POST",
        "/api/items/3/photo",
        content=b"--x\r\nnonsense",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert r.status_code in (400, 422)
    assert r.json()["errors"][0]["code"] == "VALIDATION_ERROR"
