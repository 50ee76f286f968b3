"""The OAuth error formats (`x-error-format: oauth | oauth-authorize`, see server.errorformats)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qsl

from kkcore.errors import ApiError
from kkcore.types import OperationSpec
from server.auth.errors import GRANT_TYPES, AuthorizeError, OAuthError
from server.responses import Reply, error_reply

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call

REQUEST_ERRORS = frozenset({400, 413, 415, 422})
REQUIRED = {
    "authorization_code": ("code", "redirect_uri", "client_id", "code_verifier"),
    "refresh_token": ("refresh_token", "client_id"),
}
Renderer = Callable[[ApiError, "Call"], Reply]


class Authorizer(Protocol):
    """What `oauth-authorize` needs of the authorization server (server.auth.oauth)."""

    def check(self, params: Mapping[str, Any]) -> object: ...

    def trusted_redirect(self, params: Mapping[str, Any]) -> str | None: ...


def _fields(error: ApiError) -> list[str]:
    """The parameters a request error names (never their values: they may be secrets)."""
    names: list[str] = []
    for p in error.problems:
        name = p.parameter or (p.pointer or "").lstrip("/").split("/")[0]
        if name and name not in names:
            names.append(name)
    return names


def _describe(error: ApiError, body: Any) -> tuple[str, str]:
    """(RFC 6749 error code, description) for a request the engine rejected."""
    if error.status == 415:
        return "invalid_request", str(error)
    if not isinstance(body, Mapping):
        return "invalid_request", "The body must be a form (or JSON object) of OAuth parameters"
    grant_type = body.get("grant_type")
    if "grant_type" in body and grant_type not in GRANT_TYPES:
        return "unsupported_grant_type", "Only authorization_code and refresh_token are supported"
    missing = [p for p in REQUIRED.get(str(grant_type), ("grant_type",)) if not body.get(p)]
    if missing:
        return "invalid_request", f"Missing parameter {' '.join(missing)}"
    fields = _fields(error)
    return "invalid_request", f"Invalid parameter {' '.join(fields)}" if fields else str(error)


def oauth(spec: OperationSpec, runtime: Runtime | None) -> Renderer:
    """RFC 6749 §5.2 errors for the token and revocation endpoints."""

    def render(error: ApiError, call: Call) -> Reply:
        if isinstance(error, OAuthError):
            return Reply(error.status, error.body(), dict(error.headers))
        if error.status not in REQUEST_ERRORS:
            return error_reply(error, call.request_id)
        code, description = _describe(error, call.body)
        return Reply(
            400, {"error": code, "error_description": description}, {"Cache-Control": "no-store"}
        )

    return render


def oauth_authorize(spec: OperationSpec, runtime: Runtime | None) -> Renderer:
    """RFC 6749 §4.1.2.1: redirect with `error=` to a trusted redirect URI, else a page."""

    def render(error: ApiError, call: Call) -> Reply:
        if error.status not in REQUEST_ERRORS:
            return error_reply(error, call.request_id)
        params: Mapping[str, Any] = (
            call.body
            if isinstance(call.body, Mapping)
            else dict(parse_qsl(call.scope.get("query_string", b"").decode("latin-1")))
        )
        server: Authorizer | None = getattr(
            (runtime.extras.get("auth") if runtime is not None else None), "oauth", None
        )
        fields = _fields(error)
        fallback = AuthorizeError(
            "invalid_request",
            f"Invalid parameter {' '.join(fields)}" if fields else "Invalid authorization request",
            None,
        )
        if server is not None:
            try:
                server.check(params)
            except AuthorizeError as e:  # the precise reason (unknown client, plain PKCE...)
                return e.reply()
            state = params.get("state")
            fallback.redirect_uri = server.trusted_redirect(params)
            fallback.state = state if isinstance(state, str) else None
        return fallback.reply()

    return render
