"""In-process cost of one request through the whole pipeline (no sockets, no HTTP parser).

Drives the ASGI app directly with a prepared scope; a batch of requests runs inside one
coroutine so event-loop start-up is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from kkapp.config import AppConfig
from kkapp.factory import build

SEARCH = b"specialization=yoga&limit=20&offset=0"


def scope(
    path: str, query: bytes, headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"bench"), (b"accept", b"application/json"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def batch(
    app: Any,
    make_scope: Callable[[], dict[str, Any]],
    n: int,
    clock: Callable[[], float] = time.perf_counter,
) -> Callable[[], float]:
    """A callable running `n` requests; returns seconds per request.

    `clock=time.thread_time` counts CPU time only: on a shared machine wall time also counts
    the time other processes held the core.
    """
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def run() -> None:
        for _ in range(n):
            await app(make_scope(), receive, send)

    def go() -> float:
        statuses.clear()
        loop = asyncio.new_event_loop()
        try:
            started = clock()
            loop.run_until_complete(run())
            elapsed = clock() - started
        finally:
            loop.close()
        if set(statuses) != {200}:
            raise RuntimeError(f"unexpected statuses {sorted(set(statuses))}")
        return elapsed / n

    return go


def search_app() -> Any:
    return build(AppConfig("mock", validate_responses=False, access_log=False, cors=False)).app


def main() -> None:
    app = search_app()
    for name, clock in (("wall", time.perf_counter), ("CPU", time.thread_time)):
        run = batch(app, lambda: scope("/v1/practitioners", SEARCH), 2000, clock)
        run()
        times = sorted(run() for _ in range(7))
        print(
            f"GET /v1/practitioners?{SEARCH.decode()}: {name} {times[0] * 1e6:.1f} µs/request "
            f"best, {times[3] * 1e6:.1f} median (7 x 2000)"
        )


if __name__ == "__main__":
    main()
