"""uvicorn's httptools protocol with bounded request heads (and each response's head written
with its body: server.onewrite).

uvicorn's httptools protocol accepts any number of header fields of any size and waits
forever for a head that trickles in. This subclass answers 431 past `max_headers` fields or
`max_header_bytes` bytes of head (request line and fields), and 408 when a head is not
complete `header_timeout` seconds after its first byte (or after the connection opened), as
RFC 9457 problem details.
Limits come from the environment (`KK_HTTP_*`), so `--workers` processes read the same.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server.onewrite import HeadWithBody

ENV = {
    "max_headers": "KK_HTTP_MAX_HEADERS",
    "max_header_bytes": "KK_HTTP_MAX_HEADER_BYTES",
    "header_timeout": "KK_HTTP_HEADER_TIMEOUT",
}


@dataclass(frozen=True)
class HttpLimits:
    max_headers: int = 100
    max_header_bytes: int = 32 * 1024
    header_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> HttpLimits:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV[f.name], "").strip()
            if raw:
                values[f.name] = (float if f.type == "float" else int)(raw)
        return replace(cls(), **values)

    def export(self) -> None:
        """Into the environment, where this process's connections and its workers read it."""
        for f in fields(self):
            os.environ[ENV[f.name]] = str(getattr(self, f.name))


class _Refused(Exception):
    """Raised in a parser callback: httptools stops, uvicorn answers (send_400_response)."""


class BoundedHttpTools(HttpToolsProtocol):
    """HttpToolsProtocol + head bounds; pass as uvicorn's `http=` (see kkapp.serving)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bounds = HttpLimits.from_env()
        self.head_open = True  # reading a request head (not its body, not a response)
        self.head_bytes = 0  # bytes received while the head is open (bounds a trickle)
        self.field_bytes = 0  # exact size of the completed request line and fields
        self.field_count = 0
        self.in_head = False  # between a request's first byte and the end of its head
        self.refusal: tuple[int, str] | None = None
        self.head_timer: asyncio.TimerHandle | None = None

    def _refuse(self, status: int, reason: str) -> _Refused:
        self.refusal = (status, reason)
        return _Refused(reason)

    def _arm(self) -> None:
        if self.head_timer is None and self.bounds.header_timeout > 0:
            self.head_timer = self.loop.call_later(self.bounds.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _too_slow(self) -> None:
        self.head_timer = None
        busy = self.cycle is not None and not self.cycle.response_complete
        if self.head_open and not busy and not self.transport.is_closing():
            self._refuse(408, f"The request head took over {self.bounds.header_timeout:g} s")
            self.send_400_response("")

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.head_open:
            self.head_bytes += len(data)
        super().data_received(data)
        limit = self.bounds.max_header_bytes
        if self.head_open and self.head_bytes > limit and not self.transport.is_closing():
            self._refuse(431, f"The request head is over {limit} bytes")
            self.send_400_response("")
        elif self.in_head and not self.transport.is_closing():
            # a head begun and not complete: the clock runs. Not armed per request: a head
            # read whole in one piece (nearly all of them) never needs a timer.
            self._arm()

    def on_message_begin(self) -> None:
        self.head_open, self.head_bytes, self.field_bytes, self.field_count = True, 0, 0, 0
        self.in_head = True
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self.field_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.field_count += 1
        self.field_bytes += len(name) + len(value)
        if self.field_count > self.bounds.max_headers:
            raise self._refuse(431, f"More than {self.bounds.max_headers} header fields")
        limit = self.bounds.max_header_bytes
        if self.field_bytes > limit:
            raise self._refuse(431, f"The request head is over {limit} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.head_open = self.in_head = False
        self._disarm()
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before:  # a request to answer (not an upgrade): its task waits
            HeadWithBody.attach(self.cycle)

    def on_message_complete(self) -> None:
        self.head_open, self.head_bytes = True, 0
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        if self.refusal is None:
            super().send_400_response(msg)
            return
        status, reason = self.refusal
        # No request was read, so no operation or spec format applies: RFC 9457, which any
        # client can read and which names no API.
        problem = {"type": "about:blank", "title": reason, "status": status, "detail": reason}
        body = orjson.dumps(problem)
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: application/problem+json\r\n",
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()
