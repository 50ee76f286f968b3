"""A response's head and its first body bytes in one socket write.

uvicorn's httptools protocol writes the status line and headers of a response with one
`transport.write` and its body with another. uvloop tries every write at once, so each is a
`write(2)` with the GIL held and, on loopback, the TCP stack's work of waking the client; for
the API's small answers that second system call was most of what the event loop spent on a
request (bench/RESULTS.md, "Per-request CPU (session 10, branch loop10)"). `HeadWithBody` is
the transport one request's cycle writes through: it keeps the head back until the first body
write and sends both as one. The bytes on the wire are the same, in the same order.

Only the head of an answer with a `Content-Length` is kept back (its body is at hand: every
answer of the pipeline's `send_reply`); a streamed (chunked) answer's head goes out at once,
as before, so a stream that waits for its first chunk never holds its status back. A kept
head goes out on its own when nothing follows it: an answer to HEAD (uvicorn writes no body),
the cycle closing the connection (a crash after the head), or the response completing.
Anything written before the response starts (`100 Continue`) goes through at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import RequestResponseCycle


class HeadWithBody:
    """The transport of one `RequestResponseCycle`; `attach` puts it in place."""

    __slots__ = ("transport", "cycle", "head", "done", "on_response")

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        self.transport = transport
        self.cycle = cycle
        self.head: bytes | None = None
        self.done = False  # the head went out
        self.on_response = cycle.on_response

    @classmethod
    def attach(cls, cycle: RequestResponseCycle) -> None:
        """Route `cycle`'s writes through a new HeadWithBody (before its task first runs)."""
        holder = cls(cycle.transport, cycle)
        cycle.transport = holder  # type: ignore[assignment]
        cycle.on_response = holder.completed

    def write(self, data: bytes) -> None:
        if self.done or not self.cycle.response_started:
            self.transport.write(data)
        elif self.head is None and self.cycle.chunked_encoding is False:
            # uvicorn's first write once started, the status and headers, of an answer whose
            # length is known (its body is at hand); a streamed one's head goes out at once
            self.head = data
        elif self.head is None:
            self.done = True
            self.transport.write(data)
        else:
            self.done = True
            head, self.head = self.head, None
            self.transport.write(head + data)

    def flush(self) -> None:
        if self.head is not None:
            self.done = True
            head, self.head = self.head, None
            self.transport.write(head)

    def completed(self) -> None:
        self.flush()
        self.on_response()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:  # anything else uvicorn may ask of a transport
        return getattr(self.transport, name)
