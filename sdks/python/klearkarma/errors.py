"""One exception hierarchy. API errors carry the JSON:API error objects of the answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx


class KlearKarmaError(Exception):
    """Base of every error this SDK raises."""


class ConfigurationError(KlearKarmaError):
    """The client was set up wrongly (unknown environment, no base URL...)."""


class APIConnectionError(KlearKarmaError):
    """The API could not be reached (DNS, refused connection, timeout)."""


class WebhookSignatureError(KlearKarmaError):
    """A webhook body does not carry a valid signature."""


class APIError(KlearKarmaError):
    """A non-2xx answer. `errors` are the JSON:API error objects (`id`, `status`, `code`,
    `title`, `detail`, `source`, `meta`); `code` is the first one's."""

    status: ClassVar[int | None] = None

    def __init__(self, response: httpx.Response, body: Any) -> None:
        self.response = response
        self.status_code = response.status_code
        self.body = body
        document = body if isinstance(body, Mapping) else {}
        raw_errors = document.get("errors")
        self.errors: list[dict[str, Any]] = (
            [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
        )
        self.meta: dict[str, Any] = dict(document.get("meta") or {})
        first = self.errors[0] if self.errors else {}
        self.code: str | None = first.get("code") or document.get("error")
        self.title: str | None = first.get("title")
        self.detail: str | None = first.get("detail") or document.get("error_description")
        self.request_id: str | None = self.meta.get("request_id") or response.headers.get(
            "x-request-id"
        )
        summary = (
            "; ".join(f"{e.get('code')}: {e.get('detail') or e.get('title')}" for e in self.errors)
            or f"{self.code}: {self.detail}"
        )
        super().__init__(f"{response.status_code} {summary}")


class OAuthError(APIError):
    """An RFC 6749 error from the token or revocation endpoint (`error`, `error_description`)."""


class BadRequestError(APIError):
    status = 400


class AuthenticationError(APIError):
    status = 401


class PaymentRequiredError(APIError):
    status = 402


class PermissionDeniedError(APIError):
    status = 403


class NotFoundError(APIError):
    status = 404


class ConflictError(APIError):
    status = 409


class UnprocessableEntityError(APIError):
    status = 422


class RateLimitError(APIError):
    """429. `retry_after` is the server's Retry-After in seconds, when it sent one."""

    status = 429

    def __init__(self, response: httpx.Response, body: Any) -> None:
        super().__init__(response, body)
        from klearkarma.retry import retry_after

        self.retry_after: float | None = retry_after(response)


class InternalServerError(APIError):
    """5xx."""


BY_STATUS: dict[int, type[APIError]] = {
    cls.status: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PaymentRequiredError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
    )
    if cls.status is not None
}


def error_for(response: httpx.Response, body: Any, *, oauth: bool = False) -> APIError:
    """The typed exception of a non-2xx answer."""
    if response.status_code == 429:
        return RateLimitError(response, body)
    if oauth and isinstance(body, Mapping) and "error" in body:
        return OAuthError(response, body)
    if response.status_code >= 500:
        return InternalServerError(response, body)
    return BY_STATUS.get(response.status_code, APIError)(response, body)
