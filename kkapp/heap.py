"""The heap a served app starts with, kept out of the garbage collector's full collections.

What an app builds at start-up (the operation table, compiled schemas and plans, SQLAlchemy's
metadata, Faker's data) lives as long as the process, yet every full (generation 2) collection
walks all of it: on `kk sandbox` about 190,000 objects, 170-320 ms per full collection under a
POST load, every few seconds, one stall for every request in flight (bench/RESULTS.md, "The
start-up heap"). `gc.freeze()` once start-up is done moves those objects to the permanent
generation, as CPython's documentation advises for long-lived servers; a full collection then
walks what requests made since.

Then the collector's thresholds are raised to `THRESHOLDS` (CPython's are 700, 10, 10). Under
load, objects of the requests in flight survive a young collection every few requests and
are promoted; each promotion brings the next full collection nearer, and a full collection
walks every record a `kk mock` store holds (~90,000 objects with 10,000 bookings: 55-90 ms,
every ~2 s while serving reads after a POST load: the read p99 ~54 ms). With a young
generation of 5,000 most of what a request makes is freed before a collection sees it, and a
full collection comes at most every 100 middle ones: in 28 s of reads after 8 s of POSTs none
ran, and the read p99 fell to 8-9 ms (bench/RESULTS.md, "Collector thresholds"). Garbage
cycles live longer before a full collection frees them; what refcounting frees (nearly all a
request makes) does not wait.

Only the serving commands wrap their app: a test process that froze its heap would keep every
later test's garbage cycles walkable but never finalize what was frozen.
"""

from __future__ import annotations

import gc

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The young generation's allocation threshold, and how many younger collections each older one
# waits for (gc.set_threshold).
THRESHOLDS = (5_000, 10, 100)


def frozen_after_startup(app: ASGIApp) -> ASGIApp:
    """`app`, whose start-up heap is collected once and then frozen when its lifespan
    reports start-up complete, and the collector's thresholds raised (`THRESHOLDS`)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()  # start-up's own garbage goes first, not into the frozen heap
                gc.freeze()
                gc.set_threshold(*THRESHOLDS)
            await send(message)

        await app(scope, receive, sending)

    return wrapped
