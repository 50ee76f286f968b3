"""The Klear Karma API for Python: `from klearkarma import KlearKarmaClient`.

The namespaces, methods and models are generated from the API's OpenAPI document
(`kk generate` writes `klearkarma/generated/`); the rest of the package is the runtime.
"""

from klearkarma.client import AsyncKlearKarmaClient, KlearKarmaClient
from klearkarma.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    KlearKarmaError,
    NotFoundError,
    OAuthError,
    PaymentRequiredError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WebhookSignatureError,
)
from klearkarma.generated import models
from klearkarma.generated.spec import API_VERSION, ENVIRONMENTS
from klearkarma.oauth import PKCE, AuthorizationRequest, TokenSet
from klearkarma.pagination import AsyncPage, Page
from klearkarma.retry import RetryPolicy
from klearkarma.types import OMIT
from klearkarma.webhooks import construct_event, verify_signature

__version__ = API_VERSION

__all__ = [
    "API_VERSION",
    "ENVIRONMENTS",
    "OMIT",
    "PKCE",
    "APIConnectionError",
    "APIError",
    "AsyncKlearKarmaClient",
    "AsyncPage",
    "AuthenticationError",
    "AuthorizationRequest",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "KlearKarmaClient",
    "KlearKarmaError",
    "NotFoundError",
    "OAuthError",
    "Page",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "TokenSet",
    "UnprocessableEntityError",
    "WebhookSignatureError",
    "construct_event",
    "models",
    "verify_signature",
]
