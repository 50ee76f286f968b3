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


_NAMES = (
    "trusted_proxies",
    "docs",
    "limit_concurrency",
    "timeout_keep_alive",
    "ws_max_size",
    "max_headers",
    "max_header_bytes",
    "header_timeout",
)


def network_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add the network options to a command; it receives them as `network: Network`."""
    limits = HttpLimits()
    options = [
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
        click.option(
            "--limit-concurrency",
            envvar="KK_LIMIT_CONCURRENCY",
            type=click.IntRange(0),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help="Connections and tasks per worker before new requests get 503 (0: no cap).",
        ),
        click.option(
            "--timeout-keep-alive",
            envvar="KK_TIMEOUT_KEEP_ALIVE",
            type=click.IntRange(1),
            default=DEFAULT_KEEP_ALIVE,
            show_default=True,
            help="Seconds an idle keep-alive connection stays open.",
        ),
        click.option(
            "--ws-max-size",
            envvar="KK_WS_MAX_SIZE",
            type=click.IntRange(1024),
            default=DEFAULT_WS_MAX_SIZE,
            show_default=True,
            help="Largest WebSocket message in bytes (bigger ones close the socket with 1009); "
            "before auth the app allows 16 KiB (KK_WS_MAX_FRAME_BEFORE_AUTH).",
        ),
        click.option(
            "--max-headers",
            envvar="KK_HTTP_MAX_HEADERS",
            type=click.IntRange(1),
            default=limits.max_headers,
            show_default=True,
            help="Header fields per request before 431.",
        ),
        click.option(
            "--max-header-bytes",
            envvar="KK_HTTP_MAX_HEADER_BYTES",
            type=click.IntRange(1024),
            default=limits.max_header_bytes,
            show_default=True,
            help="Bytes of request line and headers before 431.",
        ),
        click.option(
            "--header-timeout",
            envvar="KK_HTTP_HEADER_TIMEOUT",
            type=click.FloatRange(0),
            default=limits.header_timeout,
            show_default=True,
            help="Seconds a client may take to send a request head before 408 (0: no limit).",
        ),
    ]

    @functools.wraps(fn)
    def command(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        kwargs["network"] = Network(
            trusted_proxies=given["trusted_proxies"],
            docs=given["docs"],
            limit_concurrency=given["limit_concurrency"],
            timeout_keep_alive=given["timeout_keep_alive"],
            ws_max_size=given["ws_max_size"],
            http=HttpLimits(
                given["max_headers"], given["max_header_bytes"], given["header_timeout"]
            ),
        )
        return fn(**kwargs)

    for option in reversed(options):
        command = option(command)
    return command
