"""spec/openapi.yaml as the spec tests read it: the document, its operations, and what the
brief and the reference expect of it."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec" / "openapi.yaml"
SDL = ROOT / "spec" / "schema.graphql"
DOC_URI = "urn:klearkarma:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
TAGS = {
    "users", "practitioners", "bookings", "payments", "messaging",
    "health_records", "webhooks", "batch", "oauth",
}  # fmt: skip
OAUTH_TAG = "oauth"  # RFC 6749 endpoints: unsecured, and their errors are not error documents
RATE_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Window",
)
FILTER_OPS = {"eq", "gte", "lte", "contains"}

EXPECTED_OPERATIONS = {
    "getUser": ("GET /users/{user_id}", "users"),
    "updateUser": ("PUT /users/{user_id}", "users"),
    "getUserPreferences": ("GET /users/{user_id}/preferences", "users"),
    "updateUserPreferences": ("PUT /users/{user_id}/preferences", "users"),
    "listUserBookings": ("GET /users/{user_id}/bookings", "users"),
    "listUserPayments": ("GET /users/{user_id}/payments", "users"),
    "listUserConversations": ("GET /users/{user_id}/conversations", "users"),
    "getHealthProfile": ("GET /users/{user_id}/health_profile", "health_records"),
    "updateHealthProfile": ("PUT /users/{user_id}/health_profile", "health_records"),
    "searchPractitioners": ("GET /practitioners", "practitioners"),
    "getPractitioner": ("GET /practitioners/{practitioner_id}", "practitioners"),
    "getPractitionerAvailability": (
        "GET /practitioners/{practitioner_id}/availability",
        "practitioners",
    ),
    "createBooking": ("POST /bookings", "bookings"),
    "getBooking": ("GET /bookings/{booking_id}", "bookings"),
    "updateBooking": ("PUT /bookings/{booking_id}", "bookings"),
    "cancelBooking": ("DELETE /bookings/{booking_id}", "bookings"),
    "createPaymentIntent": ("POST /payments/intents", "payments"),
    "getPaymentIntent": ("GET /payments/intents/{intent_id}", "payments"),
    "confirmPaymentIntent": ("POST /payments/intents/{intent_id}/confirm", "payments"),
    "createRefund": ("POST /payments/intents/{intent_id}/refunds", "payments"),
    "listConversationMessages": ("GET /conversations/{conversation_id}/messages", "messaging"),
    "sendMessage": ("POST /conversations/{conversation_id}/messages", "messaging"),
    "uploadConversationFile": ("POST /conversations/{conversation_id}/files", "messaging"),
    "shareHealthRecords": ("POST /health_records/share", "health_records"),
    "listHealthRecordShares": ("GET /health_records/shares", "health_records"),
    "revokeHealthRecordShare": ("DELETE /health_records/shares/{share_id}", "health_records"),
    "createWebhook": ("POST /webhooks", "webhooks"),
    "listWebhooks": ("GET /webhooks", "webhooks"),
    "getWebhook": ("GET /webhooks/{webhook_id}", "webhooks"),
    "deleteWebhook": ("DELETE /webhooks/{webhook_id}", "webhooks"),
    "listWebhookDeliveries": ("GET /webhooks/{webhook_id}/deliveries", "webhooks"),
    "redeliverWebhookDelivery": (
        "POST /webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        "webhooks",
    ),
    "executeBatch": ("POST /batch", "batch"),
    "authorize": ("GET /oauth/authorize", "oauth"),
    "authorizeSubmit": ("POST /oauth/authorize", "oauth"),
    "createToken": ("POST /oauth/token", "oauth"),
    "revokeToken": ("POST /oauth/revoke", "oauth"),
    "getJwks": ("GET /.well-known/jwks.json", "oauth"),
    "getAuthorizationServerMetadata": ("GET /.well-known/oauth-authorization-server", "oauth"),
}
RATE_CLASS = {
    "searchPractitioners": "search",
    "createBooking": "booking_create",
    "uploadConversationFile": "file_upload",
    "sendMessage": "messaging",
    "listConversationMessages": "messaging",
    "listUserConversations": "messaging",
}  # every other operation: default
PATH_PARAMETER_SCHEMAS = {
    "user_id": "UserId",
    "practitioner_id": "PractitionerId",
    "booking_id": "BookingId",
    "intent_id": "PaymentIntentId",
    "conversation_id": "ConversationId",
    "share_id": "ShareId",
    "webhook_id": "WebhookId",
    "delivery_id": "DeliveryId",
}
ID_EXAMPLES = {  # ids of the reference (and its sandbox test users) each id schema accepts
    "UserId": ["user_123", "test_user_123"],
    "PractitionerId": ["prac_123", "test_prac_123"],
    "BookingId": ["booking_123"],
    "PaymentIntentId": ["pi_123"],
    "ConversationId": ["conv_123"],
    "MessageId": ["msg_123"],
    "WebhookId": ["wh_123"],
    "EventId": ["evt_123"],
    "DeliveryId": ["dlv_123"],
    "ShareId": ["share_123"],
    "RefundId": ["re_123"],
    "ServiceId": ["service_123"],
    "AvailabilityId": ["avail_123"],
    "HealthProfileId": ["health_123"],
    "PreferencesId": ["pref_123"],
}
ERROR_CODES_BY_STATUS = {
    "400": {"VALIDATION_ERROR"},
    "401": {"AUTHENTICATION_REQUIRED", "INVALID_TOKEN"},
    "402": {"PAYMENT_REQUIRED"},
    "403": {"INSUFFICIENT_PERMISSIONS"},
    "404": {"RESOURCE_NOT_FOUND"},
    "409": {"RESOURCE_CONFLICT", "BOOKING_CONFLICT", "PRACTITIONER_UNAVAILABLE"},
    "413": {"PAYLOAD_TOO_LARGE"},
    "415": {"UNSUPPORTED_MEDIA_TYPE"},
    "422": {"VALIDATION_ERROR", "INVALID_BOOKING_STATUS"},
    "429": {"RATE_LIMIT_EXCEEDED"},
    "500": {"INTERNAL_ERROR"},
    "503": {"SERVICE_UNAVAILABLE"},
}
DOMAIN_ERRORS = {  # operationId -> (status, error code an example of it must show)
    "createBooking": [("409", "BOOKING_CONFLICT"), ("409", "PRACTITIONER_UNAVAILABLE")],
    "updateBooking": [("422", "INVALID_BOOKING_STATUS"), ("409", "BOOKING_CONFLICT")],
    "cancelBooking": [("422", "INVALID_BOOKING_STATUS")],
    "createWebhook": [("409", "RESOURCE_CONFLICT")],
    "confirmPaymentIntent": [("402", "PAYMENT_REQUIRED")],
    "uploadConversationFile": [("413", "PAYLOAD_TOO_LARGE"), ("415", "UNSUPPORTED_MEDIA_TYPE")],
}
GRAPHQL_ENUMS = {  # REST enum schema -> GraphQL enum of spec/schema.graphql (upper-cased values)
    "BookingStatus": "BookingStatus",
    "SessionType": "SessionType",
    "PaymentStatus": "PaymentStatus",
    "PaymentIntentStatus": "PaymentIntentStatus",
    "PaymentMethodType": "PaymentMethodType",
    "MessageType": "MessageType",
    "UserType": "UserType",
    "HealthRecordType": "RecordType",
    "RefundStatus": "RefundStatus",
    "RefundReason": "RefundReason",
    "ShareStatus": "ShareStatus",
    "ProfileVisibility": "ProfileVisibility",
}


# --- reading the document ---------------------------------------------------------------


@cache
def doc() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(SPEC.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return loaded


def deref(node: Any) -> Any:
    """Follow local `$ref`s (`#/components/...`) until a node without one."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise AssertionError(f"unresolvable $ref {ref!r}")
        seen.add(ref)
        node = doc()
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def ref_name(node: Any) -> str | None:
    """`Foo` for `{"$ref": "#/components/<kind>/Foo"}`, else None."""
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"].rsplit("/", 1)[-1])
    return None


def operations() -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, METHOD, path item, operation) for every operation under `paths`."""
    for path, item in doc()["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method.upper(), item, item[method]


def op_name(path: str, method: str, op: dict[str, Any]) -> str:
    return f"{op.get('operationId', '?')} ({method} {path})"


def parameters(item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    return [deref(p) for p in [*item.get("parameters", []), *op.get("parameters", [])]]


def is_secured(op: dict[str, Any]) -> bool:
    return bool(op.get("security"))


def json_body(op: dict[str, Any]) -> dict[str, Any] | None:
    body = deref(op.get("requestBody")) if "requestBody" in op else None
    return body["content"].get("application/json") if body else None


def responses(op: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(code): deref(r) for code, r in op["responses"].items()}


def pointer(parts: tuple[str, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def fail_if(problems: list[str], what: str) -> None:
    assert not problems, f"{len(problems)} {what}:\n  " + "\n  ".join(problems)
