"""Several workers on one PostgreSQL and one Redis: a /ws client connected to one worker hears
the events that another worker's requests cause (real processes, real ports)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from tests.conftest import free_port
from tests.handlers.conftest import fresh_postgres_database

KEY = "kk_test_sandbox_key_for_local_development_only"  # acts as test_user_123
USER = "test_user_123"
HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/vnd.api+json"}


@contextmanager
def sandbox(data_dir: Path, env: dict[str, str], workers: int = 1) -> Iterator[str]:
    port = free_port()
    command = [
        *(str(Path(sys.executable).with_name("kk")), "sandbox", "--port", str(port)),
        *("--data-dir", str(data_dir), "--rate-limits", "off", "--workers", str(workers)),
    ]
    log = data_dir / f"kk-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kk sandbox did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def listen(base: str) -> Iterator[ClientConnection]:
    with ws_connect(base.replace("http", "ws", 1) + "/ws", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "auth", "token": KEY}))
        assert json.loads(ws.recv(timeout=10))["type"] == "auth_ok"
        ws.send(json.dumps({"type": "subscribe", "channel": "bookings", "user_id": USER}))
        assert json.loads(ws.recv(timeout=10))["type"] == "subscribed"
        yield ws


def free_slots(base: str) -> list[str]:
    found = httpx.get(f"{base}/v1/practitioners/test_prac_123/availability", headers=HEADERS)
    assert found.status_code == 200, found.text
    return [s["start_time"] for s in found.json()["data"]["attributes"]["slots"] if s["available"]]


def book(base: str, start: str) -> str:
    body = {
        "data": {
            "type": "booking",
            "attributes": {
                "practitioner_id": "test_prac_123",
                "scheduled_at": start,
                "duration": 60,
                "session_type": "video_call",
            },
        }
    }
    # a new connection per request, so a multi-worker server spreads them over its workers
    with httpx.Client(base_url=base, headers=HEADERS) as client:
        made = client.post("/v1/bookings", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["data"]["id"])


def booking_ids_heard(ws: ClientConnection, expected: int) -> set[str]:
    heard: set[str] = set()
    deadline = time.monotonic() + 20
    while len(heard) < expected and time.monotonic() < deadline:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.1)))
        data = frame.get("data") or {}
        if frame.get("type") == "event" and str(frame.get("event", "")).startswith("booking."):
            heard.add(str(data.get("id") or (data.get("data") or {}).get("id")))
    return heard


@pytest.fixture
def shared(postgres_server: str, redis_url: str) -> dict[str, str]:
    return {"DATABASE_URL": fresh_postgres_database(postgres_server), "REDIS_URL": redis_url}


def test_a_client_on_one_worker_hears_a_booking_made_on_another(
    shared: dict[str, str], tmp_path: Path
) -> None:
    with sandbox(tmp_path, shared) as a, sandbox(tmp_path, shared) as b, listen(a) as ws:
        made = book(b, free_slots(b)[0])
        assert made in booking_ids_heard(ws, 1)


def test_two_workers_share_the_bookings_and_every_event_reaches_the_client(
    shared: dict[str, str], tmp_path: Path
) -> None:
    with sandbox(tmp_path, shared, workers=2) as base, listen(base) as ws:
        made = {book(base, start) for start in free_slots(base)[:8]}
        assert booking_ids_heard(ws, len(made)) == made
