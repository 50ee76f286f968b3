from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from contracts.throwaway import RedisServer, ThrowawayError


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for the whole session (CI installs it)."""
    server = RedisServer(free_port())
    try:
        url = server.start()
    except ThrowawayError as e:
        pytest.fail(f"{e} (.ci/run installs it)")
    try:
        yield url
    finally:
        server.stop()
