"""How `kk sandbox|mock|serve` run uvicorn: the server's own bounds and the network options.

`network_options` adds the options to a command and hands them over as one `network`
argument; `uvicorn_options` turns them into uvicorn's settings (the bounded httptools
protocol of server.httpbounds, `ws_max_size`, `limit_concurrency`, `timeout_keep_alive`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from server.httpbounds import BoundedHttpTools, HttpLimits

DEFAULT_CONCURRENCY = 1000
DEFAULT_KEEP_ALIVE = 5
DEFAULT_WS_MAX_SIZE = 64 * 1024


@dataclass(frozen=True)
class Network:
    """What the network options asked for (None: the app's default for its mode)."""

    trusted_proxies: str | None = None
    docs: bool | None = None
    limit_concurrency: int = DEFAULT_CONCURRENCY
    timeout_keep_alive: int = DEFAULT_KEEP_ALIVE
    ws_max_size: int = DEFAULT_WS_MAX_SIZE
    http: HttpLimits = field(default_factory=HttpLimits)


def uvicorn_options(network: Network) -> dict[str, Any]:
    """uvicorn settings for `network`; the head bounds go through the environment, so
    that `--workers` processes read the same."""
    network.http.export()
    return {
        "http": BoundedHttpTools,
        "ws_max_size": network.ws_max_size,
        "limit_concurrency": network.limit_concurrency or None,
        "timeout_keep_alive": network.timeout_keep_alive,
    }


@dataclass(frozen=True)
class _Bound:
    """One numeric bound: its option, environment variable, range and default."""

    flag: str
    envvar: str
    kind: click.IntRange | click.FloatRange
    default: float
    help: str

    def option(self) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return click.option(
            self.flag,
            envvar=self.envvar,
            type=self.kind,
            default=self.default,
            show_default=True,
            help=self.help,
        )


_HTTP = HttpLimits()
# Every bound the server keeps, in `--help` order; each is a keyword of Network or HttpLimits.
BOUNDS = [
    _Bound(
        "--limit-concurrency",
        "KK_LIMIT_CONCURRENCY",
        click.IntRange(0),
        DEFAULT_CONCURRENCY,
        "Connections and tasks per worker before new requests get 503 (0: no cap).",
    ),
    _Bound(
        "--timeout-keep-alive",
        "KK_TIMEOUT_KEEP_ALIVE",
        click.IntRange(1),
        DEFAULT_KEEP_ALIVE,
        "Seconds an idle keep-alive connection stays open.",
    ),
    _Bound(
        "--ws-max-size",
        "KK_WS_MAX_SIZE",
        click.IntRange(1024),
        DEFAULT_WS_MAX_SIZE,
        "Largest WebSocket message in bytes (bigger ones close the socket with 1009); "
        "before auth the app allows 16 KiB (KK_WS_MAX_FRAME_BEFORE_AUTH).",
    ),
    _Bound(
        "--max-headers",
        "KK_HTTP_MAX_HEADERS",
        click.IntRange(1),
        _HTTP.max_headers,
        "Header fields per request before 431.",
    ),
    _Bound(
        "--max-header-bytes",
        "KK_HTTP_MAX_HEADER_BYTES",
        click.IntRange(1024),
        _HTTP.max_header_bytes,
        "Bytes of request line and headers before 431.",
    ),
    _Bound(
        "--header-timeout",
        "KK_HTTP_HEADER_TIMEOUT",
        click.FloatRange(0),
        _HTTP.header_timeout,
        "Seconds a client may take to send a request head before 408 (0: no limit).",
    ),
]
_HTTP_FIELDS = ("max_headers", "max_header_bytes", "header_timeout")
_OPTIONS: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
    click.option(
        "--trusted-proxies",
        envvar="KK_TRUSTED_PROXIES",
        default=None,
        help="Comma-separated addresses or networks (CIDR) of reverse proxies whose "
        "X-Forwarded-For / X-Forwarded-Proto are believed, for rate limits and logs "
        "(env KK_TRUSTED_PROXIES; default: none, the peer address counts).",
    ),
    click.option(
        "--docs/--no-docs",
        default=None,
        help="Serve Swagger UI at /docs (env KK_DOCS=1|0; default: on in sandbox and "
        "mock, off in serve). /openapi.yaml and /openapi.json are always served.",
    ),
    *(bound.option() for bound in BOUNDS),
]
_NAMES = ["trusted_proxies", "docs", *(b.flag[2:].replace("-", "_") for b in BOUNDS)]


def network_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the network options to a command; it receives them as `network: Network`."""

    @functools.wraps(fn)
    def command(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        http = HttpLimits(*(given.pop(name) for name in _HTTP_FIELDS))
        kwargs["network"] = Network(**given, http=http)
        return fn(**kwargs)

    decorated: Callable[..., Any] = command
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated
