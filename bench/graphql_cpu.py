"""In-process CPU per GraphQL request: `python bench/graphql_cpu.py [--mode sandbox] [-n 60]`.

The reference's SearchPractitioners query (first: 20) through the whole app (httpx's ASGI
transport, one event loop, no sockets), each request with a new `nonce` variable the query
does not declare: the document's parse and validation are cached, its execution never is (a
"fresh" query, bench scenario `real_graphql_fresh`), and once repeated (a kept answer).
CPU time of the process (all threads: aiosqlite's too) per request, best and median of 5.
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a script: import the repository, not bench/, as the root
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import itertools  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.scenarios import BODIES  # noqa: E402
from bench.servers import SANDBOX_API_KEY  # noqa: E402
from kkapp.config import AppConfig  # noqa: E402
from kkapp.factory import build  # noqa: E402

QUERY = orjson.loads((BODIES / "graphql_search.json").read_bytes())


class Lifespan:
    """The app's ASGI lifespan (its database pool, seeding) around the measurement."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def __aenter__(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.ensure_future(self.app(scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        started = await self.outbox.get()
        if started["type"] != "lifespan.startup.complete":
            raise RuntimeError(str(started))

    async def __aexit__(self, *_: object) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        await self.task


async def measure(mode: str, n: int) -> dict[str, list[float]]:
    os.environ.setdefault("KK_ISSUER", "http://127.0.0.1:8000")
    data_dir = tempfile.mkdtemp(prefix="kk-gql-cpu-")
    config = AppConfig(
        "mock" if mode == "mock" else "sandbox", rate_limits="off", data_dir=data_dir
    )
    app = build(config).app
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    nonces = itertools.count()
    found: dict[str, list[float]] = {"fresh": [], "kept": []}
    async with (
        Lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
        ) as client,
    ):

        async def post(fresh: bool) -> None:
            variables = {**QUERY["variables"], **({"nonce": next(nonces)} if fresh else {})}
            r = await client.post("/graphql", json={**QUERY, "variables": variables})
            if r.status_code != 200 or "errors" in r.json():
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")

        for _ in range(10):  # warm-up: caches, pools, the first page's queries
            await post(True)
            await post(False)
        for _ in range(5):
            for kind in ("fresh", "kept"):
                started = time.process_time()
                for _ in range(n):
                    await post(kind == "fresh")
                found[kind].append((time.process_time() - started) / n)
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--mode", default="sandbox", choices=["mock", "sandbox"])
    p.add_argument("-n", type=int, default=60, help="requests per sample")
    args = p.parse_args()
    found = asyncio.run(measure(args.mode, args.n))
    for kind, times in found.items():
        times.sort()
        print(
            f"kk {args.mode} GraphQL SearchPractitioners, {kind}: "
            f"{times[0] * 1e3:.2f} ms CPU/request best, {times[2] * 1e3:.2f} median "
            f"(5 x {args.n})"
        )


if __name__ == "__main__":
    main()
