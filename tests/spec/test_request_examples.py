"""Every request example of spec/openapi.yaml, sent as documented ("Try it out" in /docs, the
Postman collection) to a fresh `kk sandbox` and a fresh `kk mock`, answers success: a 2xx (or
the 3xx the operation documents as its success), or the status an `x-mock-rules` entry of the
operation gives that very body (the test cards' 402). The cases come from the spec, not a
list; path parameters take their schema's first example (an operation's own first); the
token has the operation's scopes and acts as user_123, whose records the examples name, or as
the practitioner where the role rules make it theirs (ACTOR)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from generated.api_table import TABLE
from kkapp.config import AppConfig
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.seeded import seeded_build

SUBJECT = "user_123"
DEFS = TABLE["defs"]

# Who sends an example, where it is not user_123 (the role rules decide): refunds are the
# booking's practitioner's, and within 24 hours of the session only the practitioner reschedules.
ACTOR: dict[tuple[str, str], str] = {
    ("createRefund", "full"): "prac_123",
    ("createRefund", "partial"): "prac_123",
    ("updateBooking", "reschedule"): "prac_123",
    ("submitPractitionerVerification", "licence"): "prac_applicant",
}
# Scopes a sender holds beyond the operation's: only an administrator decides a verification.
EXTRA_SCOPES: dict[str, list[str]] = {"reviewPractitionerVerification": ["admin:users"]}


def _live_email_token(c: TestClient, built: Built, example: Any) -> Any:
    """verifyUserEmail's example with the token of an email change started now (the sandbox
    shows it in the answer; a published token could never be live)."""
    token = auth_of(built.runtime.extras).issue_token(SUBJECT, ["write:profile"])
    change = {"data": {"type": "user", "id": SUBJECT, "attributes": {"email": "new@example.com"}}}
    started = c.put(
        f"/v1/users/{SUBJECT}", json=change, headers={"Authorization": f"Bearer {token}"}
    )
    assert started.status_code == 200, started.text
    live = copy.deepcopy(example)
    live["data"]["attributes"]["token"] = started.json()["meta"]["email_verification"]["token"]
    return live


def _cases() -> Iterator[tuple[str, str, str, Any]]:
    for op_id, op in TABLE["operations"].items():
        body = op.get("request_body") or {}
        for media_type, media in (body.get("content") or {}).items():
            for name, example in (media.get("examples") or {}).items():
                yield op_id, media_type, name, example


CASES = list(_cases())


def _param_value(schema: dict[str, Any]) -> str:
    """The schema's first example; an operation's own (next to its $ref) comes first."""
    while "examples" not in schema and "$ref" in schema:
        schema = DEFS[schema["$ref"].rsplit("/", 1)[1]]
    return str(schema["examples"][0])


def _rule_status(op: dict[str, Any], body: Any) -> int | None:
    """The status of the first `x-mock-rules` entry whose `when` this body meets."""
    for rule in op["extensions"].get("x-mock-rules") or []:
        when = rule.get("when") or {}
        if when and all(_at(body, pointer) == value for pointer, value in when.items()):
            return int(rule["status"])
    return None


def _at(document: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        document = document.get(part) if isinstance(document, dict) else None
    return document


def _event_scopes(body: Any) -> set[str]:
    """A webhook registration's events need the scopes the spec's webhooks name for them."""
    events = _at(body, "/data/attributes/events")
    hooks = TABLE.get("webhooks") or {}
    named = events if isinstance(events, list) else []
    return {s for e in named if e in hooks for s in hooks[e].get("scopes") or ()}


def send(
    c: TestClient, built: Built, op_id: str, media_type: str, value: Any, subject: str = SUBJECT
) -> Any:
    op = TABLE["operations"][op_id]
    path = op["path"]
    for p in op["parameters"]:
        if p["location"] == "path":
            path = path.replace("{" + p["name"] + "}", _param_value(p["schema"]))
    scopes = {s for req in op["security"] for v in req.values() for s in v}
    scopes |= set(EXTRA_SCOPES.get(op_id, ()))
    scopes |= _event_scopes(value)
    headers = {}
    if op["security"] and built.runtime.authenticator is not None:  # even with no scopes
        token = auth_of(built.runtime.extras).issue_token(subject, sorted(scopes))
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"headers": headers}
    if media_type == "application/json":
        kwargs["json"] = value
    elif media_type.startswith("multipart/"):
        kwargs["files"] = {
            k: ("notes.txt", str(v).encode(), "text/plain") if k == "file" else (None, str(v))
            for k, v in value.items()
        }
    else:
        kwargs["data"] = value
    return c.request(op["method"].upper(), path, follow_redirects=False, **kwargs)


@pytest.fixture(scope="module", params=["sandbox", "mock"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = str(tmp_path_factory.mktemp(f"examples-{request.param}"))
    # the payment test cards of a slow and of a silent provider answer within a second
    fast = {"payment_timeout": 0.5, "payment_slow_seconds": 0.1}
    config = AppConfig(request.param, data_dir=data_dir, rate_limits="off", options=fast)
    built = seeded_build(config)  # the sandbox from the seeded template
    with TestClient(built.app) as c:
        yield request.param, built, c


@pytest.mark.parametrize(("op_id", "media_type", "name", "example"), CASES)
def test_the_request_example_answers_success_on_a_fresh_server(
    server: tuple[str, Built, TestClient],
    op_id: str,
    media_type: str,
    name: str,
    example: Any,
) -> None:
    mode, built, c = server
    # fresh: the seed only (the header marks a deliberate reset, as main's sandbox wants)
    assert c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"}).status_code == 200
    op = TABLE["operations"][op_id]
    if mode == "sandbox" and op_id == "verifyUserEmail":
        example = _live_email_token(c, built, example)
    answer = send(c, built, op_id, media_type, example, ACTOR.get((op_id, name), SUBJECT))
    expected = _rule_status(op, example)
    if expected is not None:
        assert answer.status_code == expected, answer.text
    else:
        assert 200 <= answer.status_code < 400, answer.text[:600]
        assert str(answer.status_code) in op["responses"], answer.status_code


def test_every_request_example_of_the_spec_is_a_case() -> None:
    assert len(CASES) >= 28 and {c[0] for c in CASES} >= {"createBooking", "createToken"}
