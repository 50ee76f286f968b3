"""Shared pieces of the identity tests: a sandbox app per data directory, PKCE, logging in."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from kkapp.config import AppConfig
from kkapp.factory import Built
from server.auth.services import AuthServices, auth_of
from tests.seeded import seeded_build

BASE = "http://testserver"
REDIRECT = "http://127.0.0.1:8765/callback"
USER = "test.user@klearkarma.com"
PRACTITIONER = "test.practitioner@klearkarma.com"
PASSWORD = "TestPassword123!"


def sandbox(data_dir: str, **config: Any) -> Built:
    config.setdefault("rate_limits", "relaxed")
    return seeded_build(AppConfig("sandbox", data_dir=data_dir, **config))


def auth(built: Built) -> AuthServices:
    return auth_of(built.runtime.extras)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(os.urandom(48)).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.fields[str(a["name"])] = a.get("value") or ""


def hidden_fields(page: str) -> dict[str, str]:
    """The OAuth parameters the login page carries in hidden inputs."""
    parser = _Form()
    parser.feed(page)
    return parser.fields


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_params(challenge: str, scope: str = "read:profile", **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": "kk-sandbox",
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "st4te",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


async def code_for(
    c: httpx.AsyncClient, challenge: str, scope: str = "read:profile", email: str = USER
) -> str:
    """Sign in through the form and return the authorization code."""
    params = authorize_params(challenge, scope)
    page = await c.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    r = await c.post(
        "/oauth/authorize",
        data={**hidden_fields(page.text), "email": email, "password": PASSWORD},
    )
    assert r.status_code == 302, r.text
    query = query_of(r.headers["location"])
    assert query["state"] == "st4te"
    return query["code"]


async def login(
    c: httpx.AsyncClient, scope: str = "read:profile", email: str = USER
) -> dict[str, Any]:
    """The token response of a whole authorization-code + PKCE sign-in."""
    verifier, challenge = pkce()
    code = await code_for(c, challenge, scope, email)
    r = await c.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": "kk-sandbox",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert r.status_code == 200, r.text
    tokens: dict[str, Any] = r.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(r: httpx.Response) -> str:
    body = r.json()
    if "errors" in body:
        return str(body["errors"][0]["code"])
    return str(body["error"])


def looks_like_jwt(token: str) -> bool:
    return re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token) is not None
