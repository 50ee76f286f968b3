"""Issue 15, item 12: uvicorn as `kk serve` runs it bounds request heads. Too many header
fields or too many bytes of head get 431, a head that trickles in gets 408 and the
connection is closed; an ordinary request is untouched. Also: `--limit-concurrency` and
`--timeout-keep-alive` reach uvicorn."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from kkapp.serving import Network, uvicorn_options
from server.httpbounds import ENV, HttpLimits
from tests.security.live import served, undo_exports
from tests.security.support import sandbox

NETWORK = Network(http=HttpLimits(max_headers=100, max_header_bytes=32 * 1024, header_timeout=1.0))


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    built = sandbox(str(tmp_path_factory.mktemp("http")))
    with pytest.MonkeyPatch.context() as mp, served(built.app, mp, NETWORK) as port:
        yield port


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def raw(port: int, head: bytes, pause: float = 0.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            for start in range(0, len(head), 16_384):
                s.sendall(head[start : start + 16_384])
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        chunks = []
        while chunk := s.recv(65_536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_an_ordinary_request_is_answered(port: int) -> None:
    r = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Extra": "y" * 4000})
    assert r.status_code == 200


def test_more_than_100_header_fields_get_431(port: int) -> None:
    headers = [(f"X-H{i}", "v") for i in range(200)]
    r = httpx.get(f"http://127.0.0.1:{port}/healthz", headers=headers)
    assert r.status_code == 431
    assert r.headers["content-type"] == "application/problem+json"  # no spec's own, no brand
    assert r.json()["status"] == 431 and "More than 100 header fields" in r.json()["detail"]


def test_an_8_mb_header_gets_431_without_being_read_whole(port: int) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 8_000_000 + b"\r\n\r\n"
    answer = raw(port, head)
    assert status_of(answer) == 431, answer[:200]
    assert b"over 32768 bytes" in answer


def test_a_head_that_trickles_in_gets_408_and_is_closed(port: int) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        while chunk := s.recv(65_536):  # the client never finishes its head
            answer += chunk
    assert status_of(answer) == 408, answer
    assert b"content-type: application/problem+json" in answer.lower()
    assert time.monotonic() - started < 5


def test_a_second_head_that_trickles_in_on_a_kept_connection_gets_408(port: int) -> None:
    # the first request's head is read whole (no timer runs for it); the clock starts with
    # the second head's first byte
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(65_536)
        assert status_of(first) == 200 and first.endswith(b'{"status":"ok"}')
        started = time.monotonic()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = b""
        while chunk := s.recv(65_536):
            answer += chunk
    assert status_of(answer) == 408, answer
    assert 0.9 < time.monotonic() - started < 5


def test_a_connection_that_sends_nothing_is_closed_too(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        assert status_of(s.recv(65_536)) == 408


def test_concurrency_and_keep_alive_limits_reach_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    undo_exports(monkeypatch)  # uvicorn_options exports the head bounds
    options = uvicorn_options(Network(limit_concurrency=7, timeout_keep_alive=3, ws_max_size=4096))
    assert (options["limit_concurrency"], options["timeout_keep_alive"]) == (7, 3)
    assert options["ws_max_size"] == 4096


def test_the_exported_head_bounds_do_not_outlive_the_test() -> None:
    """Other tests in the same worker read `KK_HTTP_*` (the CLI's defaults): an export here
    must be undone with the test's monkeypatch, even when the variables were not set."""
    with pytest.MonkeyPatch.context() as clean:
        for name in ENV.values():
            clean.delenv(name, raising=False)
        with pytest.MonkeyPatch.context() as mp:
            undo_exports(mp)
            uvicorn_options(NETWORK)
            assert all(name in os.environ for name in ENV.values())
        assert [name for name in ENV.values() if name in os.environ] == []
