"""Shared pieces of the security tests: apps, clients and tokens (the in-process socket is
tests.sockets.Socket)."""

from __future__ import annotations

from typing import Any

import httpx

from kkapp.config import AppConfig
from kkapp.factory import Built, build
from server.auth.services import AuthServices, auth_of

PATIENT_SCOPES = ["read:profile", "read:bookings", "read:messages", "write:messages"]


def sandbox(data_dir: str, **config: Any) -> Built:
    """The sandbox with mocks only (fast to build), limits off unless asked."""
    config.setdefault("rate_limits", "off")
    config.setdefault("handlers", False)
    return build(AppConfig("sandbox", data_dir=data_dir, **config))


def auth(built: Built) -> AuthServices:
    return auth_of(built.runtime.extras)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
