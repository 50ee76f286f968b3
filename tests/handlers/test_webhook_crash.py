"""Crash safety of webhook delivery, with a real server process killed with SIGKILL.

The server (uvicorn, a real port, SQLite in a data dir) has a webhook whose receiver is
down; events enter the outbox; the worker plans and attempts their deliveries; the server
is killed mid-delivery; the receiver comes up; a new server on the same data dir delivers
every event, and each exactly once.

Why exactly once holds here, and what is promised in general: each attempt is leased in a
committed transaction before the POST and its outcome committed right after it. A kill
before the lease commit loses nothing (the row is still due); a kill between the POST and
the outcome commit leaves a lease that expires, so the attempt is made again. Every attempt
of this test hits a receiver that is down, so no POST was acknowledged before the kill and
nothing may be repeated: the receiver must see each event once. In general delivery is at
least once (the window is one round trip after a 2xx), which is why the event `id` is
stable across retries and redeliveries; the reference does not document receiver-side
deduplication, so this test does not rely on it.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from handlers.domain.context import Domain
from handlers.domain.unit import write
from handlers.storage.database import Database
from kkapp.config import AppConfig
from kkapp.factory import build
from server.auth.services import auth_of
from server.webhooks import sign
from tests.conftest import free_port

SECRET = "crash-test-secret-0123"
EVENTS = 8
SERVER = """
import sys, uvicorn
from kkapp.config import AppConfig
from kkapp.factory import build
options = {"webhook_timeout": 1, "webhook_retry_base": 0.5, "webhook_poll": 0.1}
app = build(AppConfig("sandbox", data_dir=sys.argv[1], rate_limits="off", options=options)).app
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def until(check: Callable[[], Any], what: str, limit: float = 60.0) -> Any:
    """Poll until `check` answers something truthy (a deadline only against hangs)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def start_server(http: httpx.Client, data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(data_dir), str(port)], env=env)

    def up() -> bool:
        try:
            return http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    until(up, "the server to listen")
    return proc


class Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield Path(tempfile.mkdtemp(prefix="kk-crash-"))


def emit_events(data_dir: Path) -> list[str]:
    """What a handler does: events written to the outbox in its transaction."""

    async def run() -> list[str]:
        domain = Domain(db=Database.for_data_dir(data_dir), data_dir=data_dir)
        ids = []
        try:
            for i in range(EVENTS):
                async with write(domain) as unit:
                    data = {"id": f"booking_{i}", "type": "booking", "attributes": {"n": i}}
                    ids.append(unit.emit("booking.created", data).id)
        finally:
            await domain.db.close()
        return ids

    return asyncio.run(run())


def test_a_server_killed_mid_delivery_delivers_every_event_exactly_once_after_restart(
    data_dir: Path, http: httpx.Client
) -> None:
    server_port, receiver_port = free_port(), free_port()
    token = auth_of(build(AppConfig("sandbox", data_dir=str(data_dir))).runtime.extras).issue_token(
        "test_admin_1", ["admin:platform"]
    )
    admin = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{server_port}/v1"
    server = start_server(http, data_dir, server_port)
    try:
        hook = http.post(
            f"{base}/webhooks",
            headers=admin,
            json={
                "data": {
                    "type": "webhook",
                    "attributes": {
                        "url": f"http://127.0.0.1:{receiver_port}/hook",
                        "events": ["booking.created"],
                        "secret": SECRET,
                    },
                }
            },
        )
        assert hook.status_code == 201, hook.text
        log_url = f"{base}/webhooks/{hook.json()['data']['id']}/deliveries?limit=100"
        event_ids = emit_events(data_dir)

        def attempted() -> bool:
            log = http.get(log_url, headers=admin).json()["data"]
            return len(log) == EVENTS and any(d["attributes"]["status"] == "failed" for d in log)

        until(attempted, "deliveries planned and attempted against the down receiver")
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()

    Receiver.got = []
    receiver = ThreadingHTTPServer(("127.0.0.1", receiver_port), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = start_server(http, data_dir, server_port)
    try:

        def delivered() -> bool:
            log = http.get(log_url, headers=admin).json()["data"]
            return len(Receiver.got) >= EVENTS and all(
                d["attributes"]["status"] == "succeeded" for d in log
            )

        until(delivered, "every event delivered after the restart")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
        receiver.shutdown()
        receiver.server_close()
    bodies = [orjson.loads(body) for _, body in Receiver.got]
    counts = collections.Counter(b["id"] for b in bodies)
    assert counts == collections.Counter(event_ids)  # each event exactly once
    for headers, body in Receiver.got:
        assert headers["X-KlearKarma-Signature"] == sign(SECRET, body)
        assert headers["X-KlearKarma-Event"] == "booking.created"
