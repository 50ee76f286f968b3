"""OAuth errors: RFC 6749 §5.2 for the token and revocation endpoints, §4.1.2.1 for authorize."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import ClassVar
from urllib.parse import urlencode

from kkcore.errors import ApiError, KKError
from server.responses import Reply

GRANT_TYPES = ("authorization_code", "refresh_token")


class OAuthError(ApiError):
    """An RFC 6749 §5.2 error: `{"error", "error_description"}`, status 400."""

    status, code, title, documentation = 400, "VALIDATION_ERROR", "OAuth Error", "authentication"

    def __init__(self, error: str, description: str, headers: Mapping[str, str] | None = None):
        super().__init__(description, headers={"Cache-Control": "no-store", **(headers or {})})
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class InvalidClient(OAuthError):
    status: ClassVar[int] = 401

    def __init__(self, description: str = "Client authentication failed", basic: bool = False):
        super().__init__(
            "invalid_client",
            description,
            headers={"WWW-Authenticate": 'Basic realm="oauth"'} if basic else None,
        )


class AuthorizeError(KKError):
    """An RFC 6749 §4.1.2.1 error; `redirect_uri` is None when it cannot be trusted."""

    def __init__(
        self, error: str, description: str, redirect_uri: str | None, state: str | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self) -> str | None:
        if self.redirect_uri is None:
            return None
        params = {"error": self.error, "error_description": self.description}
        if self.state is not None:
            params["state"] = self.state
        return with_query(self.redirect_uri, params)

    def reply(self) -> Reply:
        """302 back to the client with the error, or a 400 page when the URI is untrusted."""
        location = self.location()
        if location is not None:
            return Reply(302, None, {"Location": location, "Cache-Control": "no-store"})
        return Reply(400, error_page(self.error, self.description), dict(PAGE_HEADERS), "text/html")


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def error_page(error: str, description: str) -> str:
    """The page shown instead of redirecting to an untrusted redirect URI."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Sign-in error</title></head><body>"
        f"<h1>{escape(error)}</h1><p>{escape(description)}</p></body></html>"
    )


def with_query(uri: str, params: Mapping[str, str]) -> str:
    """`uri` with `params` added to its query, keeping the query it has (RFC 6749 §3.1.2)."""
    return uri + ("&" if "?" in uri else "?") + urlencode(params)
