"""Issue #15 item 8: outside the sandbox's loopback allowance a webhook reaches public
addresses only, whatever form the URL writes its host in, and the log is no port scanner.

Every test here delivers through the real dispatcher to a real socket on this machine (or
to addresses that must never be tried) with `KK_WEBHOOK_HOSTS=*`, as a production server
that accepts any receiver runs."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from kkapp.config import AppConfig
from kkapp.factory import Built, build
from server.auth.services import auth_of
from tests.security.webhook_receiver import LocalReceiver

TEST_KEY = {"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"}
# 127.0.0.1 written as a resolver reads it, and the other ways to name this machine.
LOCAL_FORMS = [
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "0x7f.1",
    "[::ffff:127.0.0.1]",
    "0.0.0.0",
    "localhost",
    "127.0.0.1",
    "[::1]",
]
NEVER_TRIED = ["169.254.169.254", "10.0.0.1", "192.168.1.1", "100.64.0.1", "224.0.0.1"]


def app(**options: Any) -> Built:
    """The sandbox's mocks, delivering as a production server does (no loopback allowance,
    every host allowed by name)."""
    return build(
        AppConfig(
            "sandbox",
            handlers=False,
            data_dir=tempfile.mkdtemp(prefix="kk-ssrf-"),
            rate_limits="off",
            options={
                "webhook_hosts": "*",
                "webhook_loopback": False,
                "webhook_timeout": 1,
                **options,
            },
        )
    )


def operator(built: Built) -> dict[str, str]:
    """An `admin:platform` token: whoever registers webhooks on a production server."""
    token = auth_of(built.runtime.extras).issue_token("ops_1", ["admin:platform"])
    return {"Authorization": f"Bearer {token}"}


def register(tc: TestClient, ops: dict[str, str], url: str) -> str:
    body = {"data": {"type": "webhook", "attributes": {"url": url, "events": ["booking.created"]}}}
    made = tc.post("/v1/webhooks", json=body, headers=ops)
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


def book(tc: TestClient) -> None:
    attributes = {
        "practitioner_id": "test_prac_123",
        "scheduled_at": "2024-01-02T09:00:00Z",
        "duration": 60,
        "session_type": "video_call",
    }
    made = tc.post(
        "/v1/bookings",
        json={"data": {"type": "booking", "attributes": attributes}},
        headers=TEST_KEY,
    )
    assert made.status_code == 201, made.text


def settled(tc: TestClient, ops: dict[str, str], hooks: list[str]) -> list[dict[str, Any]]:
    """The latest delivery of each webhook once none is pending, or as it stands after a
    bounded wait (then the assertions say what is wrong)."""
    deadline = time.monotonic() + 15
    while True:
        logs = [tc.get(f"/v1/webhooks/{h}/deliveries", headers=ops).json()["data"] for h in hooks]
        found = [log[0]["attributes"] if log else {"status": "not planned"} for log in logs]
        if time.monotonic() > deadline or all(
            a["status"] not in ("pending", "not planned") for a in found
        ):
            return found
        time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[LocalReceiver]:
    with LocalReceiver() as r:
        yield r


def test_every_form_of_a_local_address_is_refused_without_a_connection(
    receiver: LocalReceiver,
) -> None:
    built = app()
    ops = operator(built)
    with TestClient(built.app) as tc:
        hooks = [register(tc, ops, f"http://{host}:{receiver.port}/hook") for host in LOCAL_FORMS]
        book(tc)
        found = settled(tc, ops, hooks)
    assert receiver.got == []  # nothing reached the local listener
    for host, attrs in zip(LOCAL_FORMS, found, strict=True):
        assert attrs["status"] == "refused", host
        assert attrs["response_status"] is None and attrs["next_retry_at"] is None, host
        [attempt] = attrs["attempts"]
        assert attempt["status"] == "refused" and attempt["response_status"] is None, host


def test_metadata_and_private_addresses_are_never_tried_and_look_alike_in_the_log() -> None:
    built = app()
    ops = operator(built)
    with TestClient(built.app) as tc:
        hooks = [register(tc, ops, f"http://{host}:81/latest/meta-data") for host in NEVER_TRIED]
        book(tc)
        found = settled(tc, ops, hooks)
    assert [a["status"] for a in found] == ["refused"] * len(NEVER_TRIED)
    # One answer for all of them: no status, no timing, no error that tells ports apart.
    seen = {
        (a["status"], a["response_status"], a["duration_ms"], a["attempts"][0]["error"])
        for a in found
    }
    assert len(seen) == 1
    status, response_status, duration, error = seen.pop()
    assert (status, response_status, duration) == ("refused", None, 0)
    assert "refused" in error


def test_credentials_in_a_webhook_url_never_reach_answers_logs_or_the_delivery_log(
    receiver: LocalReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    local = f"http://alice:s3cr3t-pass@127.0.0.1:{receiver.port}/hook"
    refused = "http://bob:hunter2-pass@10.0.0.1/hook"
    built = app(webhook_loopback=True)
    ops = operator(built)
    with TestClient(built.app) as tc:
        hooks = [register(tc, ops, local), register(tc, ops, refused)]
        book(tc)
        found = settled(tc, ops, hooks)
        shown = [tc.get(f"/v1/webhooks/{h}", headers=ops).text for h in hooks]
        listed = tc.get("/v1/webhooks", headers=ops).text
    assert [a["status"] for a in found] == ["succeeded", "refused"]
    [(headers, _)] = receiver.got  # the receiver still gets its credentials
    assert headers["Authorization"].startswith("Basic ")
    everything = " ".join([*shown, listed, str(found), caplog.text])
    assert "s3cr3t-pass" not in everything and "hunter2-pass" not in everything
    assert f"http://***@127.0.0.1:{receiver.port}/hook" in shown[0]
