"""What a client of a foreign spec may get: its documented answer, or RFC 9457, never Klear Karma.

`check` is the rule of issue #17 for one answer; `sandbox` builds the app `kk sandbox --spec`
serves (credentials checked like Prism, CORS, rate limits, the sandbox's control endpoints),
with handlers of the test's choosing.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from kkapp.config import AppConfig
from kkapp.factory import build
from kkcore.loader import load_document
from server.binding import OperationGroup
from tests.engine import FIXTURES

PROBLEM = "application/problem+json"
BRANDS = ("klearkarma", "klear karma", "klear-karma")


@cache
def spec(name: str) -> dict[str, Any]:
    return load_document(FIXTURES / name / "openapi.yaml")


def sandbox(
    name: str,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    groups: tuple[OperationGroup, ...] = (),
    burst: int = 10_000,
) -> httpx.AsyncClient:
    monkeypatch.setattr("kkapp.factory.handler_groups", lambda: list(groups))
    config = AppConfig(
        "sandbox",
        spec=str(FIXTURES / name / "openapi.yaml"),
        data_dir=str(data_dir),
        auth=False,
        check_credentials=True,
        rate_limits="on",
        limits={"tiers": {"anonymous": {"per_hour": 10_000, "burst": burst}}},
    )
    app = build(config).app
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def operation_of(doc: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The operation `method path` (with the server's base path) calls in `doc`, if any."""
    base = re.sub(r"^[a-z]+://[^/]+", "", doc["servers"][0]["url"]).rstrip("/")
    if not path.startswith(base + "/"):
        return None
    for template, item in doc["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path[len(base) :]):
            op = item.get(method.lower())
            return op if isinstance(op, dict) else None
    return None


def documented(doc: dict[str, Any], op: dict[str, Any], status: int) -> dict[str, Any] | None:
    """The response `op` documents for `status` (its own, its class's or `default`)."""
    responses = op["responses"]
    code = str(status)
    key = next((k for k in (code, code[0] + "XX", "default") if k in responses), None)
    response = responses[key] if key is not None else None
    while response is not None and "$ref" in response:  # '#/components/responses/...'
        node: Any = doc
        for part in response["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        response = node
    return response


def check(doc: dict[str, Any], method: str, path: str, r: httpx.Response) -> None:
    """The answer names no Klear Karma, and is the operation's documented response (with a body
    valid against its schema) or RFC 9457 problem details."""
    seen = " ".join([r.reason_phrase, *(f"{k}: {v}" for k, v in r.headers.items()), r.text])
    assert not any(b in seen.lower() for b in BRANDS), seen
    op = operation_of(doc, method, path)
    response = documented(doc, op, r.status_code) if op is not None else None
    media = r.headers.get("content-type", "").split(";")[0]
    if response is None and op is None and r.status_code < 400:
        return  # one of the engine's own pages (health, docs, Postman): only unbranded
    if response is None:
        assert media == PROBLEM, (r.status_code, media, r.text)
        body = r.json()
        assert body["status"] == r.status_code and body["type"] == "about:blank"
        assert body["title"] and body["detail"]
        return
    content = response.get("content") or {}
    if not content:
        return
    assert media in content, (r.status_code, media, list(content))
    schema = content[media].get("schema")
    if schema:
        whole = {**schema, "components": doc.get("components", {})}
        errors = [e.message for e in Draft202012Validator(whole).iter_errors(r.json())]
        assert not errors, (r.status_code, r.text, errors)
