"""Every answer the engine writes itself (bounds, negotiation, credentials, rate limits, the
router, crashes, CORS, the sandbox's guard, health, docs, Postman, `Prefer`) reaches a client
of a foreign spec in that spec's terms: the operation's documented response with a body valid
against its schema, else RFC 9457 problem details; never a Klear Karma name (issue #17).

Two fixtures: `errors30` (3.0) documents its errors with its own schema, `errors31` (3.1)
documents none. A flagship-style spec (`x-error-format: jsonapi`) keeps its JSON:API documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from kkapp.postman import postman_routes
from server.binding import OperationGroup
from server.middleware import RequestContext
from server.ports import OperationRequest
from server.responses import Reply
from tests.anyspec.spec_answers import PROBLEM, check, sandbox, spec

pytestmark = pytest.mark.anyio
# name -> (base path, collection, one item, an operation that declares bearer security)
SPECS = {
    "errors30": ("/v1", "/pets", "/pets/1", "/owner"),
    "errors31": ("/api", "/entries", "/entries/1", "/balance"),
}
JSON = {"content-type": "application/json"}
PREFLIGHT = {"origin": "https://elsewhere.example", "access-control-request-method": "POST"}
# (what, method, path: {collection} {item} {secured} filled per spec, headers, body)
CASES: list[tuple[str, str, str, dict[str, str], bytes | None]] = [
    ("a path parameter of the wrong type", "GET", "{collection}/abc", {}, None),
    ("a query parameter out of its enum", "GET", "{item}?fields=all", {}, None),
    ("an unknown query parameter", "GET", "{item}?colour=red", {}, None),
    ("an error schema shaped like JSON:API", "GET", "/v1/tags/ABC", {}, None),
    ("a body of the wrong shape", "POST", "{collection}", JSON, b'{"name": 3, "amount": "x"}'),
    ("a body that is not JSON", "POST", "{collection}", JSON, b"{nope"),
    ("a missing body", "POST", "{collection}", JSON, None),
    ("a body over the size limit", "POST", "{collection}", JSON, b'"' + b"x" * (1 << 20) + b'"'),
    (
        "a body of an undeclared media type",
        "POST",
        "{collection}",
        {"content-type": "text/csv"},
        b"a",
    ),
    ("an Accept nothing satisfies", "GET", "{item}", {"accept": "text/html"}, None),
    ("a bad Prefer header", "GET", "{item}", {"prefer": "code=abc"}, None),
    ("a Prefer code the operation lacks", "GET", "{item}", {"prefer": "code=418"}, None),
    ("missing bearer credentials", "GET", "{secured}", {}, None),
    ("a missing API key (403 documented only)", "GET", "/v1/admin", {}, None),
    ("no route", "GET", "/nowhere/at/all", {}, None),
    ("an undeclared method", "DELETE", "{item}", {}, None),
    ("a refused CORS preflight", "OPTIONS", "{collection}", PREFLIGHT, None),
    ("the sandbox's reset without its header", "POST", "/__sandbox/reset", {}, None),
    ("the sandbox's reset", "POST", "/__sandbox/reset", {"x-kk-sandbox-reset": "1"}, None),
    ("the health check", "GET", "/healthz", {}, None),
    ("the metrics", "GET", "/metrics", {}, None),
    ("the docs page", "GET", "/docs", {}, None),
    ("a docs asset that does not exist", "GET", "/docs/static/nope.js", {}, None),
    ("the Postman collection", "GET", "/postman/collection.json", {}, None),
    ("the Postman environment", "GET", "/postman/environment.json", {}, None),
    ("the spec itself", "GET", "/openapi.json", {}, None),
]


def fill(name: str, path: str) -> str:
    base, collection, item, secured = SPECS[name]
    if not path.startswith("{"):
        return path
    return base + path.format(collection=collection, item=item, secured=secured)


@pytest.mark.parametrize("name", SPECS)
@pytest.mark.parametrize(
    ("what", "method", "path", "headers", "body"), CASES, ids=[c[0] for c in CASES]
)
async def test_an_engine_answer_is_the_specs_own_or_rfc9457(
    name: str,
    what: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = fill(name, path)
    async with sandbox(name, tmp_path, monkeypatch) as c:
        r = await c.request(method, url, headers=headers, content=body)
    assert r.status_code < 500 or "Postman" in what, (what, r.status_code, r.text)
    asked = headers.get("access-control-request-method", method)  # a preflight asks for it
    check(spec(name), asked, url.split("?")[0], r)


@pytest.mark.parametrize("name", SPECS)
async def test_the_rate_limits_429_is_the_specs_own_or_rfc9457(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fill(name, "{item}")
    async with sandbox(name, tmp_path, monkeypatch, burst=1) as c:
        first, second = await c.get(url), await c.get(url)
    assert first.status_code != 429 and second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1
    for r in (first, second):
        check(spec(name), "GET", url, r)


async def crash(request: OperationRequest[Any, Any]) -> Reply:
    raise RuntimeError("the kennel's database is on fire")


def crashing(operation_id: str) -> OperationGroup:
    group = OperationGroup("default")  # the fixtures' operations have no tag
    group.operation(operation_id)(crash)
    return group


@pytest.mark.parametrize(
    ("name", "operation_id"), [("errors30", "getPet"), ("errors31", "getEntry")]
)
async def test_a_handler_crash_is_the_specs_own_500_or_rfc9457(
    name: str, operation_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fill(name, "{item}")
    async with sandbox(name, tmp_path, monkeypatch, groups=(crashing(operation_id),)) as c:
        r = await c.get(url)
    assert r.status_code == 500 and "on fire" not in r.text
    check(spec(name), "GET", url, r)


async def test_a_spec_the_generator_cannot_express_gets_an_rfc9457_501_for_postman(
    tmp_path: Path,
) -> None:
    app = Starlette(routes=postman_routes(tmp_path / "gone.yaml", "/v1"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/postman/collection.json")
    assert r.status_code == 501 and r.headers["content-type"] == PROBLEM
    assert "klearkarma" not in r.text.lower()


@pytest.mark.parametrize(
    ("what", "method", "path", "headers", "status"),
    [
        ("a refused CORS preflight", "OPTIONS", "/api/items", PREFLIGHT, 400),
        ("the sandbox's reset without its header", "POST", "/__sandbox/reset", {}, 403),
        ("a docs asset that does not exist", "GET", "/docs/static/nope.js", {}, 404),
        ("the rate limit", "GET", "/api/items", {}, 429),
    ],
)
async def test_a_spec_choosing_jsonapi_keeps_its_documents_for_engine_answers(
    what: str,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with sandbox("minimal31", tmp_path, monkeypatch, burst=1) as c:
        if status == 429:
            await c.request(method, path, headers=headers)
        r = await c.request(method, path, headers=headers)
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["errors"][0]["status"] == str(status)
    assert body["meta"]["documentation_url"].startswith("https://docs.klearkarma.com/errors/")


@pytest.mark.parametrize("name", SPECS)
async def test_a_401_for_missing_credentials_says_how_to_authenticate(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sandbox(name, tmp_path, monkeypatch) as c:
        r = await c.get(fill(name, "{secured}"))
        api_key = await c.get("/v1/admin")
    if name == "errors31":  # documents no 401: answered as usual, like Prism
        assert r.status_code == 200 and "www-authenticate" not in r.headers
        return
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert api_key.status_code == 403 and "www-authenticate" not in api_key.headers


async def test_a_crash_whose_documented_answer_fails_too_is_still_an_rfc9457_500() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("the handler broke")

    def failing_answer(error: Any, scope: Any) -> Reply:
        raise RuntimeError("and so did the error body")

    app = RequestContext(broken, log_requests=False, answer=failing_answer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/v1/pets/1")
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
    assert "broke" not in r.text and "error body" not in r.text
