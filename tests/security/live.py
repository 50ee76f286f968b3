"""A real uvicorn server with the options `kk serve` uses, for third-party clients."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from kkapp.serving import Network, uvicorn_options
from server.httpbounds import ENV
from tests.conftest import free_port


def undo_exports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The head bounds `uvicorn_options` exports into the environment, removed again when
    `monkeypatch` is undone. (`delenv` of a variable that is not set records nothing to
    undo, so an export after it would outlive the test: set it first, then delete it.)"""
    for name in ENV.values():
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


@contextlib.contextmanager
def served(
    app: Any, monkeypatch: pytest.MonkeyPatch, network: Network | None = None
) -> Iterator[int]:
    """`app` on a free loopback port under uvicorn with the options `kk serve` uses."""
    undo_exports(monkeypatch)
    options = uvicorn_options(network or Network())
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", **options
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=15)
