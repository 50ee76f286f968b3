"""One exception hierarchy: startup errors apart from HTTP problems.

HTTP problems carry `status` and `code` as class attributes and render as the JSON:API error
document of the reference (see `server.problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


class KKError(Exception):
    """Base of every error this kit raises."""


class StartupError(KKError):
    """The app cannot start: a spec, binding or configuration problem. Never an HTTP answer."""


class SpecError(StartupError):
    """The OpenAPI/GraphQL/AsyncAPI input is invalid or unsupported."""


class BindingError(StartupError):
    """A handler does not fit the generated skeleton (names the operation and the file)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One entry of `errors[]`; status and code default to the raising ApiError's."""

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    code: str | None = None
    title: str | None = None


class ApiError(KKError):
    """An HTTP problem answered with a JSON:API error document."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "INTERNAL_ERROR"
    title: ClassVar[str] = "Internal Server Error"
    documentation: ClassVar[str] = "errors"

    def __init__(
        self,
        detail: str | None = None,
        *,
        problems: Iterable[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.problems = list(problems) or [Problem(detail or self.title)]
        self.headers = dict(headers or {})
        super().__init__(detail or self.problems[0].detail)


class BadRequest(ApiError):
    status, code, title, documentation = 400, "VALIDATION_ERROR", "Validation Error", "validation"


class Unprocessable(ApiError):
    status, code, title, documentation = 422, "VALIDATION_ERROR", "Validation Error", "validation"


class AuthenticationRequired(ApiError):
    status, code, title = 401, "AUTHENTICATION_REQUIRED", "Authentication Required"
    documentation = "authentication"


class InvalidToken(ApiError):
    status, code, title, documentation = 401, "INVALID_TOKEN", "Invalid Token", "authentication"


class InsufficientPermissions(ApiError):
    status, code, title = 403, "INSUFFICIENT_PERMISSIONS", "Insufficient Permissions"
    documentation = "authorization"


class PaymentRequired(ApiError):
    status, code, title, documentation = 402, "PAYMENT_REQUIRED", "Payment Required", "payments"


class NotFound(ApiError):
    status, code, title, documentation = (
        404,
        "RESOURCE_NOT_FOUND",
        "Resource Not Found",
        "not-found",
    )


class MethodNotAllowed(ApiError):
    status, code, title, documentation = 405, "METHOD_NOT_ALLOWED", "Method Not Allowed", "http"


class NotAcceptable(ApiError):
    status, code, title, documentation = 406, "NOT_ACCEPTABLE", "Not Acceptable", "http"


class Conflict(ApiError):
    status, code, title, documentation = 409, "RESOURCE_CONFLICT", "Resource Conflict", "conflicts"


class PayloadTooLarge(ApiError):
    status, code, title, documentation = 413, "PAYLOAD_TOO_LARGE", "Payload Too Large", "http"


class UnsupportedMediaType(ApiError):
    status, code, title = 415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported Media Type"
    documentation = "http"


class RateLimitExceeded(ApiError):
    status, code, title = 429, "RATE_LIMIT_EXCEEDED", "Rate Limit Exceeded"
    documentation = "rate-limits"


class NotImplementedOperation(ApiError):
    status, code, title, documentation = 501, "NOT_IMPLEMENTED", "Not Implemented", "http"


class ServiceUnavailable(ApiError):
    status, code, title = 503, "SERVICE_UNAVAILABLE", "Service Unavailable"
    documentation = "availability"


class InternalError(ApiError):
    """An unexpected exception, answered without internals."""
