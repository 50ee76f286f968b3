"""The heap a served app starts with, kept out of the garbage collector's full collections.

What an app builds at start-up (the operation table, compiled schemas and plans, SQLAlchemy's
metadata, Faker's data) lives as long as the process, yet every full (generation 2) collection
walks all of it: on `kk sandbox` about 190,000 objects, 170-320 ms per full collection under a
POST load, every few seconds, one stall for every request in flight (bench/RESULTS.md, "The
start-up heap"). `gc.freeze()` once start-up is done moves those objects to the permanent
generation, as CPython's documentation advises for long-lived servers; a full collection then
walks what requests made since.

Only the serving commands wrap their app: a test process that froze its heap would keep every
later test's garbage cycles walkable but never finalize what was frozen.
"""

from __future__ import annotations

import gc

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def frozen_after_startup(app: ASGIApp) -> ASGIApp:
    """`app`, whose start-up heap is collected once and then frozen when its lifespan
    reports start-up complete."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                gc.collect()  # start-up's own garbage goes first, not into the frozen heap
                gc.freeze()
            await send(message)

        await app(scope, receive, sending)

    return wrapped
