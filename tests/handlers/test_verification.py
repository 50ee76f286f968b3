"""Practitioner verification through the public API (REST and GraphQL): the practitioner
submits, only an administrator decides, `user.verified` is delivered, and searches hide
unverified practitioners unless they ask."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers.domain.delivery import worker_for
from handlers.storage.models import OutboxEvent, Practitioner, User
from kkapp.factory import Built
from server.auth.services import auth_of
from tests.security.domain.support import SCOPES, client, domain

pytestmark = pytest.mark.anyio
COUNTER = itertools.count()
LICENCE = {
    "number": "LMT-2019-004211",
    "issuing_authority": "New York State Education Department",
    "country": "US",
    "expires_on": "2030-06-30",
}
DOCUMENT = {"name": "licence.pdf", "content_type": "application/pdf", "url": "https://f.test/l"}


def bearer(built: Built, role: str) -> dict[str, str]:
    """A patient's or an administrator's header, also allowed to read the directory."""
    subject, extra = ("user_admin1", ["admin:users"]) if role == "admin" else ("test_user_123", [])
    value = auth_of(built.runtime.extras).issue_token(
        subject, [*SCOPES, "read:practitioners", *extra]
    )
    return {"Authorization": f"Bearer {value}"}


def submission(**licence: Any) -> dict[str, Any]:
    attributes = {"licence": {**LICENCE, **licence}, "documents": [DOCUMENT]}
    return {"data": {"type": "verification", "attributes": attributes}}


def decision(status: str, reason: str | None = None) -> dict[str, Any]:
    attributes = {"status": status, **({"rejection_reason": reason} if reason else {})}
    return {"data": {"type": "verification", "attributes": attributes}}


async def newcomer(built: Built) -> tuple[str, dict[str, str]]:
    """An unverified practitioner with a user account; (its id, its bearer header)."""
    n = next(COUNTER)
    pid, account = f"prac_new{n}", f"user_pracnew{n}"
    async with (await domain(built)).db.transaction() as session:
        session.add(User(id=account, email=f"new{n}@example.com", first_name="N", last_name="P"))
        await session.flush()
        session.add(
            Practitioner(id=pid, user_id=account, first_name="N", last_name="P", price_amount=60)
        )
    value = auth_of(built.runtime.extras).issue_token(
        account, SCOPES + ["read:practitioners"], user_type="practitioner", practitioner_id=pid
    )
    return pid, {"Authorization": f"Bearer {value}"}


async def verified(built: Built, pid: str) -> bool:
    async with (await domain(built)).db.session() as session:
        return (await session.get_one(Practitioner, pid)).verified


async def test_a_practitioner_submits_and_an_admin_verifies(sandbox: Built) -> None:
    pid, mine = await newcomer(sandbox)
    url = f"/v1/practitioners/{pid}/verification"
    async with client(sandbox) as c:
        before = await c.get(url, headers=mine)
        made = await c.post(url, json=submission(), headers=mine)
        read = await c.get(url, headers=bearer(sandbox, "admin"))
        done = await c.put(url, json=decision("verified"), headers=bearer(sandbox, "admin"))
    assert before.json()["data"]["attributes"]["status"] == "unverified"
    assert made.status_code == 201, made.text
    assert made.json()["data"]["attributes"]["status"] == "pending"
    assert read.json()["data"]["attributes"]["licence"] == LICENCE
    assert done.status_code == 200, done.text
    assert done.json()["data"]["attributes"]["status"] == "verified"
    assert await verified(sandbox, pid)
    async with (await domain(sandbox)).db.session() as session:
        [event] = await session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "user.verified")
        )
    assert event.data["attributes"]["practitioner_id"] == pid
    assert event.data["attributes"]["user_type"] == "practitioner"


@pytest.mark.parametrize("role", ["patient", "practitioner"])
async def test_only_an_admin_decides_and_nothing_changes_otherwise(
    sandbox: Built, role: str
) -> None:
    pid, mine = await newcomer(sandbox)
    url = f"/v1/practitioners/{pid}/verification"
    who = mine if role == "practitioner" else bearer(sandbox, "patient")
    async with client(sandbox) as c:
        await c.post(url, json=submission(), headers=mine)
        tried = await c.put(url, json=decision("verified"), headers=who)
        state = await c.get(url, headers=mine)
    assert tried.status_code == 403, tried.text
    assert tried.json()["errors"][0]["code"] == "INSUFFICIENT_PERMISSIONS"
    assert state.json()["data"]["attributes"]["status"] == "pending"
    assert not await verified(sandbox, pid)


async def test_a_patient_can_neither_submit_nor_read_a_practitioners_verification(
    sandbox: Built,
) -> None:
    pid, _ = await newcomer(sandbox)
    url = f"/v1/practitioners/{pid}/verification"
    async with client(sandbox) as c:
        submit = await c.post(url, json=submission(), headers=bearer(sandbox, "patient"))
        read = await c.get(url, headers=bearer(sandbox, "patient"))
    assert (submit.status_code, read.status_code) == (403, 403), submit.text


async def test_a_rejection_needs_a_reason_and_the_practitioner_may_submit_again(
    sandbox: Built,
) -> None:
    pid, mine = await newcomer(sandbox)
    url = f"/v1/practitioners/{pid}/verification"
    admin = bearer(sandbox, "admin")
    async with client(sandbox) as c:
        await c.post(url, json=submission(), headers=mine)
        twice = await c.post(url, json=submission(), headers=mine)
        bare = await c.put(url, json=decision("rejected"), headers=admin)
        no = await c.put(url, json=decision("rejected", "Not on the register"), headers=admin)
        seen = await c.get(url, headers=mine)
        again = await c.post(url, json=submission(number="LMT-2"), headers=mine)
    assert twice.status_code == 409 and twice.json()["errors"][0]["code"] == "RESOURCE_CONFLICT"
    assert bare.status_code == 422, bare.text
    assert no.status_code == 200 and no.json()["data"]["attributes"]["status"] == "rejected"
    assert seen.json()["data"]["attributes"]["rejection_reason"] == "Not on the register"
    assert again.status_code == 201 and again.json()["data"]["attributes"]["status"] == "pending"


async def test_an_expired_licence_is_refused(sandbox: Built) -> None:
    pid, mine = await newcomer(sandbox)
    async with client(sandbox) as c:
        r = await c.post(
            f"/v1/practitioners/{pid}/verification",
            json=submission(expires_on="2023-12-31"),
            headers=mine,
        )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["source"]["pointer"] == "/data/attributes/licence/expires_on"


SEARCH = """query($filter: PractitionerFilter) { practitioners(first: 100, filter: $filter) {
    edges { node { id verified } } } }"""


async def test_search_hides_unverified_practitioners_unless_asked(sandbox: Built) -> None:
    pid, _ = await newcomer(sandbox)
    reader = bearer(sandbox, "patient")
    found: dict[str, list[str]] = {}
    async with client(sandbox) as c:
        for asked in ("", "any", "false", "true"):
            params = {"limit": 100, **({"verified": asked} if asked else {})}
            r = await c.get("/v1/practitioners", params=params, headers=reader)
            assert r.status_code == 200, r.text
            found[asked] = [p["id"] for p in r.json()["data"]]
        g = {
            name: await c.post(
                "/graphql", json={"query": SEARCH, "variables": {"filter": f}}, headers=reader
            )
            for name, f in (("default", None), ("asked", {"includeUnverified": True}))
        }
    assert pid not in found[""] and pid not in found["true"]
    assert pid in found["any"] and pid in found["false"]
    assert set(found["false"]).isdisjoint(found["true"])
    assert set(found["any"]) == set(found["true"]) | set(found["false"])
    listed = {
        k: [e["node"]["id"] for e in v.json()["data"]["practitioners"]["edges"]]
        for k, v in g.items()
    }
    assert pid not in listed["default"] and pid in listed["asked"]


REVIEW = """mutation($input: ReviewPractitionerVerificationInput!) {
  reviewPractitionerVerification(input: $input) {
    verification { status rejectionReason } errors { code } } }"""
SUBMIT = """mutation($input: SubmitPractitionerVerificationInput!) {
  submitPractitionerVerification(input: $input) { verification { id status } errors { code } } }"""


async def test_graphql_follows_the_same_rules(sandbox: Built) -> None:
    pid, mine = await newcomer(sandbox)
    licence = {"number": "N1", "issuingAuthority": "Board", "country": "US"}
    doc = {"name": "a.pdf", "contentType": "application/pdf", "url": "https://f.test/a"}
    submit = {"practitionerId": pid, "licence": licence, "documents": [doc]}
    review = {"practitionerId": pid, "status": "VERIFIED"}
    async with client(sandbox) as c:

        async def call(query: str, value: dict[str, Any], who: dict[str, str]) -> Any:
            r = await c.post(
                "/graphql", json={"query": query, "variables": {"input": value}}, headers=who
            )
            return next(iter(r.json()["data"].values()))

        made = await call(SUBMIT, submit, mine)
        own = await call(REVIEW, review, mine)
        done = await call(REVIEW, review, bearer(sandbox, "admin"))
    assert made["verification"]["status"] == "PENDING"
    assert own == {"verification": None, "errors": [{"code": "INSUFFICIENT_PERMISSIONS"}]}
    assert done["verification"]["status"] == "VERIFIED" and await verified(sandbox, pid)


async def test_the_user_verified_webhook_is_delivered(sandbox: Built) -> None:
    received: list[bytes] = []

    async def endpoint(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=204)

    pid, mine = await newcomer(sandbox)
    url = f"/v1/practitioners/{pid}/verification"
    issue = auth_of(sandbox.runtime.extras).issue_token
    owner = {"Authorization": f"Bearer {issue('test_admin_1', ['admin:platform'])}"}
    hook = {"url": "http://receiver.test/hook", "events": ["user.verified"]}
    transport = httpx.ASGITransport(app=Route("/hook", endpoint, methods=["POST"]))
    worker = worker_for(
        await domain(sandbox), sandbox.runtime.table, {"webhook_transport": transport}
    )
    async with client(sandbox) as c:
        await c.delete("/v1/webhooks/wh_123", headers=owner)  # the seed's, elsewhere
        made = await c.post(
            "/v1/webhooks", json={"data": {"type": "webhook", "attributes": hook}}, headers=owner
        )
        assert made.status_code == 201, made.text
        await c.post(url, json=submission(), headers=mine)
        await c.put(url, json=decision("verified"), headers=bearer(sandbox, "admin"))
    worker.open()
    try:
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
    [body] = received
    event = orjson.loads(body)
    assert event["type"] == "user.verified"
    assert event["data"]["attributes"]["practitioner_id"] == pid
    assert event["data"]["attributes"]["verification"]["status"] == "verified"
