"""The heap a served app starts with, kept out of the garbage collector's full collections.

What an app builds at start-up (the operation table, compiled schemas and plans, SQLAlchemy's
metadata, Faker's data) lives as long as the process, yet every full (generation 2) collection
walks all of it: on `kk sandbox` about 190,000 objects, 170-320 ms per full collection under a
POST load, every few seconds, one stall for every request in flight (bench/RESULTS.md, "The
start-up heap"). `gc.freeze()` once start-up is done moves those objects to the permanent
generation, as CPython's documentation advises for long-lived servers; a full collection then
walks what requests made since.

`kk mock` then raises the collector's thresholds to `MOCK_THRESHOLDS` (CPython's are 700, 10,
10): its store keeps what clients create in memory, not frozen, and a full collection walks
all of it (~90,000 objects with 10,000 bookings: 55-90 ms). Under load, objects of requests in
flight survive young collections every few requests and are promoted, and each promotion
brings the next full collection nearer: every ~2 s while serving reads after a POST load, a
read p99 of ~54 ms. With a young generation of 5,000 most of a request's objects are freed
before a collection sees them, and a full collection waits for 100 middle ones: in 28 s of
reads after 8 s of POSTs none ran, and the read p99 fell to 8-9 ms (bench/RESULTS.md,
"Collector thresholds"). The handlers' modes keep CPython's thresholds: their heap is frozen
and their full collections walk ~10,000 objects (2-3 ms); there the larger young generation
cost 15-25 % of the read rate.

Only the serving commands wrap their app: a test process that froze its heap would keep every
later test's garbage cycles walkable but never finalize what was frozen.
"""

from __future__ import annotations

import gc

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# `kk mock`'s collector: the young generation's allocation threshold, and how many younger
# collections each older one waits for (gc.set_threshold).
MOCK_THRESHOLDS = (5_000, 10, 100)


def thresholds_for(mode: str) -> tuple[int, int, int] | None:
    """The collector thresholds a served mode sets after start-up (None: CPython's)."""
    return MOCK_THRESHOLDS if mode == "mock" else None


def frozen_after_startup(app: ASGIApp, thresholds: tuple[int, int, int] | None = None) -> ASGIApp:
    """`app`, whose start-up heap is collected once and then frozen when its lifespan
    reports start-up complete; then `thresholds` set, if given (`thresholds_for`)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()  # start-up's own garbage goes first, not into the frozen heap
                gc.freeze()
                if thresholds is not None:
                    gc.set_threshold(*thresholds)
            await send(message)

        await app(scope, receive, sending)

    return wrapped
