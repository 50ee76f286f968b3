"""In-process CPU per booking: `python bench/post_cpu.py [-n 60] [--concurrency 32]`.

POST /v1/bookings through the whole `kk sandbox` app (httpx's ASGI transport, one event loop,
no sockets, the app's lifespan: its pool and webhook worker running), the bench's body
spread over the practitioners of bench/wrk/bodies/booking_practitioners.txt, a new hour-long
slot each request (every answer a 201). CPU time of the process (all threads: the database
driver's too) and wall time per booking, best and median of 5 samples of n bookings, sent
`--concurrency` at a time.
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
from datetime import UTC, datetime, timedelta  # noqa: E402

import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.graphql_cpu import Lifespan  # noqa: E402
from bench.scenarios import BODIES  # noqa: E402
from bench.servers import SANDBOX_API_KEY  # noqa: E402
from kkapp.config import AppConfig  # noqa: E402
from kkapp.factory import build  # noqa: E402

BODY = orjson.loads((BODIES / "booking_valid.json").read_bytes())
TARGETS = [
    tuple(line.split())
    for line in (BODIES / "booking_practitioners.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
FIRST = datetime(2030, 1, 1, tzinfo=UTC)


def body(hour: int) -> dict[str, object]:
    practitioner, service = TARGETS[hour % len(TARGETS)]
    at = (FIRST + timedelta(hours=hour)).isoformat().replace("+00:00", "Z")
    attrs = {**BODY["data"]["attributes"], "scheduled_at": at}
    attrs.update(practitioner_id=practitioner, service_id=service)
    return {"data": {**BODY["data"], "attributes": attrs}}


async def measure(n: int, concurrency: int) -> list[tuple[float, float]]:
    os.environ.setdefault("KK_ISSUER", "http://127.0.0.1:8000")
    data_dir = tempfile.mkdtemp(prefix="kk-post-cpu-")
    app = build(AppConfig("sandbox", rate_limits="off", data_dir=data_dir)).app
    headers = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
    hours = itertools.count()
    found: list[tuple[float, float]] = []
    async with (
        Lifespan(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench", headers=headers
        ) as client,
    ):

        async def book() -> None:
            r = await client.post("/v1/bookings", json=body(next(hours)))
            if r.status_code != 201:
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")

        async def batch(count: int) -> None:
            for start in range(0, count, concurrency):
                await asyncio.gather(*(book() for _ in range(min(concurrency, count - start))))

        await batch(2 * concurrency)  # warm-up: pools, compiled statements
        for _ in range(5):
            cpu, wall = time.process_time(), time.perf_counter()
            await batch(n)
            found.append(((time.process_time() - cpu) / n, (time.perf_counter() - wall) / n))
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("-n", type=int, default=60, help="bookings per sample")
    p.add_argument("--concurrency", type=int, default=1, help="bookings in flight at once")
    args = p.parse_args()
    found = sorted(asyncio.run(measure(args.n, args.concurrency)))
    cpu, wall = found[0][0] * 1e3, found[2][0] * 1e3
    walls = sorted(w for _, w in found)
    print(
        f"kk sandbox POST /v1/bookings, {args.concurrency} at a time: {cpu:.2f} ms CPU/booking "
        f"best, {wall:.2f} median; wall {walls[0] * 1e3:.2f} best, {walls[2] * 1e3:.2f} "
        f"median (5 x {args.n}; load {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
