"""Where the client talks to, and as whom."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from klearkarma.errors import ConfigurationError
from klearkarma.generated.spec import API_VERSION, AUTH_SERVERS, BASE_PATH, ENVIRONMENTS
from klearkarma.oauth import TokenSet
from klearkarma.retry import RetryPolicy

DEFAULT_ENVIRONMENT = "production"
DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"klearkarma-python/{API_VERSION}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def resolve_urls(environment: str | None, base_url: str | None) -> tuple[str, str]:
    """(REST base URL, origin of the OAuth endpoints).

    `base_url` wins over `environment`; a base URL without a path gets the API's base path
    (`http://127.0.0.1:8000` -> `http://127.0.0.1:8000/v1`). Unset, both are read from
    KLEARKARMA_BASE_URL and KLEARKARMA_ENVIRONMENT; the default is production.
    """
    base_url = base_url or os.environ.get("KLEARKARMA_BASE_URL")
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
        base = base_url.rstrip("/")
        if not parts.path.strip("/"):
            base += BASE_PATH
        return base, _origin(base)
    env = environment or os.environ.get("KLEARKARMA_ENVIRONMENT") or DEFAULT_ENVIRONMENT
    if env not in ENVIRONMENTS:
        known = ", ".join(ENVIRONMENTS)
        raise ConfigurationError(f"unknown environment {env!r} (one of {known}, or a base_url)")
    return ENVIRONMENTS[env], AUTH_SERVERS.get(env) or _origin(ENVIRONMENTS[env])


@dataclass
class Credentials:
    """An API key, or OAuth tokens that the client refreshes when they run out."""

    api_key: str | None = None
    tokens: TokenSet | None = None
    client_id: str | None = None

    def authorization(self) -> str | None:
        secret = self.tokens.access_token if self.tokens else self.api_key
        return f"Bearer {secret}" if secret else None

    @property
    def refreshable(self) -> bool:
        return bool(self.tokens and self.tokens.refresh_token and self.client_id)


@dataclass
class ClientConfig:
    base_url: str
    auth_url: str
    credentials: Credentials
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        *,
        api_key: str | None,
        environment: str | None,
        base_url: str | None,
        tokens: TokenSet | None,
        client_id: str | None,
        retry: RetryPolicy | None,
        headers: dict[str, str] | None,
    ) -> ClientConfig:
        base, auth = resolve_urls(environment, base_url)
        if api_key is None and tokens is None:
            api_key = os.environ.get("KLEARKARMA_API_KEY")
        return cls(
            base_url=base,
            auth_url=auth,
            credentials=Credentials(api_key, tokens, client_id),
            retry=retry or RetryPolicy(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
        )
