"""spec/openapi.yaml: valid OpenAPI 3.1, examples valid, conventions kept, the reference covered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from graphql import GraphQLEnumType, build_schema
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.spec import reference

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
    loaded: dict[str, Any] = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
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


# --- validity ---------------------------------------------------------------------------


def test_openapi_spec_validator_accepts_the_document_as_openapi_3_1() -> None:
    assert doc()["openapi"] == "3.1.0"
    validate(doc(), cls=OpenAPIV31SpecValidator)


def _example_cases() -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(where, pointer parts of the schema, example value) for every example in the document.

    Media types, parameters and headers: `example` and every `examples` entry (an Example
    Object, maybe a $ref) against their `schema`. Schemas: every item of `examples: [...]`.
    """

    def walk(node: Any, parts: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...], Any]]:
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, (*parts, str(i)))
            return
        if not isinstance(node, dict):
            return
        where = pointer(parts)
        if "schema" in node and isinstance(node.get("examples"), dict):
            for name, example in node["examples"].items():
                example = deref(example)
                assert "value" in example, f"{where}/examples/{name} has no value"
                yield f"{where}/examples/{name}", (*parts, "schema"), example["value"]
        if "schema" in node and "example" in node:
            yield f"{where}/example", (*parts, "schema"), node["example"]
        if isinstance(node.get("examples"), list):
            for i, value in enumerate(node["examples"]):
                yield f"{where}/examples/{i}", parts, value
        for key, child in node.items():
            if key in ("examples", "example", "value") or key.startswith("x-"):
                continue
            yield from walk(child, (*parts, key))

    yield from walk(doc(), ())


def test_every_example_validates_against_its_schema_as_json_schema_2020_12() -> None:
    registry: Registry[Any] = Registry().with_resource(DOC_URI, DRAFT202012.create_resource(doc()))
    cases = list(_example_cases())
    problems = []
    for where, parts, value in cases:
        schema = {"$ref": DOC_URI + "#" + quote(pointer(parts), safe="/~")}
        validator = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for error in validator.iter_errors(value):
            problems.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
    assert len(cases) > 150, f"only {len(cases)} examples found: is the walker broken?"
    fail_if(problems, "invalid examples")


def test_schemas_use_2020_12_examples_lists_not_the_deprecated_example_keyword() -> None:
    def walk(node: Any, where: str) -> Iterator[str]:
        if isinstance(node, list):
            for i, child in enumerate(node):
                yield from walk(child, f"{where}/{i}")
        elif isinstance(node, dict):
            if "example" in node:
                yield where
            for key, child in node.items():
                if key in ("properties", "$defs", "patternProperties") and isinstance(child, dict):
                    for name, sub in child.items():
                        yield from walk(sub, f"{where}/{key}/{name}")
                elif key not in ("examples", "const", "default", "enum"):
                    yield from walk(child, f"{where}/{key}")

    fail_if(
        list(walk(doc()["components"]["schemas"], "#/components/schemas")),
        "schemas using `example`",
    )


# --- operations -------------------------------------------------------------------------


def test_every_operation_of_the_brief_exists_at_its_method_and_path_with_its_tag() -> None:
    actual = {op.get("operationId"): (f"{m} {p}", op.get("tags")) for p, m, _, op in operations()}
    problems = []
    for op_id, (where, tag) in EXPECTED_OPERATIONS.items():
        if op_id not in actual:
            problems.append(f"{op_id}: missing (expected at {where})")
        elif actual[op_id] != (where, [tag]):
            problems.append(f"{op_id}: at {actual[op_id]}, expected {(where, [tag])}")
    fail_if(problems, "operations not as expected")


def test_every_operation_has_a_unique_camel_case_id_one_known_tag_a_summary_and_description() -> (
    None
):
    problems = []
    seen: set[str] = set()
    for path, method, _, op in operations():
        name = op_name(path, method, op)
        op_id = op.get("operationId", "")
        if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", op_id) or op_id in seen:
            problems.append(f"{name}: operationId missing, not lowerCamelCase or duplicated")
        seen.add(op_id)
        tags = op.get("tags", [])
        if len(tags) != 1 or tags[0] not in TAGS:
            problems.append(f"{name}: tags {tags} (need exactly one of {sorted(TAGS)})")
        for field in ("summary", "description"):
            if not str(op.get(field, "")).strip():
                problems.append(f"{name}: no {field}")
    declared = {t["name"] for t in doc()["tags"]}
    if declared != TAGS:
        problems.append(f"top-level tags {sorted(declared)} != {sorted(TAGS)}")
    fail_if(problems, "operation identity problems")


def test_every_operation_names_its_rate_limit_class_and_the_classes_are_declared() -> None:
    classes = doc()["x-rate-limit-classes"]
    problems = []
    for path, method, _, op in operations():
        expected = RATE_CLASS.get(op.get("operationId", ""), "default")
        if op.get("x-rate-limit") != expected:
            problems.append(f"{op_name(path, method, op)}: x-rate-limit {op.get('x-rate-limit')!r}")
    for name, spec in classes.items():
        if not isinstance(spec.get("limit"), int) or spec.get("per") not in ("minute", "hour"):
            problems.append(f"x-rate-limit-classes.{name}: needs an integer limit and per")
    if set(classes) != {"default", *RATE_CLASS.values()}:
        problems.append(f"x-rate-limit-classes has {sorted(classes)}")
    fail_if(problems, "rate-limit problems")


def test_secured_operations_accept_oauth2_or_bearer_with_the_same_declared_scopes() -> None:
    declared = doc()["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    problems = []
    for path, method, _, op in operations():
        name = op_name(path, method, op)
        if "security" not in op:
            problems.append(f"{name}: no `security`")
        elif op["tags"] == [OAUTH_TAG]:
            if op["security"] != []:
                problems.append(f"{name}: OAuth endpoints take `security: []`")
        else:
            security = op["security"]
            scopes = security[0].get("oauth2") if security else None
            # `[]`: any signed-in caller (webhooks: what each receives is x-required-scopes)
            signed_in = scopes == [] and op["tags"] == ["webhooks"]
            if (not scopes and not signed_in) or security != [
                {"oauth2": scopes},
                {"bearerAuth": scopes},
            ]:
                problems.append(f"{name}: security {security}")
            elif undeclared := set(scopes) - set(declared["scopes"]):
                problems.append(f"{name}: undeclared scopes {sorted(undeclared)}")
    fail_if(problems, "security problems")


def test_every_operation_documents_the_errors_it_can_return() -> None:
    problems = []
    for path, method, item, op in operations():
        codes = set(op["responses"])
        need = {"400", "429", "500", "503"}
        if is_secured(op):
            need |= {"401", "403"}
        if any(p["in"] == "path" for p in parameters(item, op)):
            need.add("404")
        if json_body(op) is not None and op["tags"] != [OAUTH_TAG]:
            need.add("422")  # OAuth answers every request error with 400 (RFC 6749 5.2)
        if missing := need - codes:
            problems.append(f"{op_name(path, method, op)}: missing {sorted(missing)}")
        if not any(c.startswith(("2", "3")) for c in codes):
            problems.append(f"{op_name(path, method, op)}: no success response")
    fail_if(problems, "operations missing error responses")


def test_error_responses_are_error_documents_whose_examples_match_their_status() -> None:
    problems = []
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            if int(code) < 400:
                continue
            media = response.get("content", {}).get("application/json")
            if media is None or ref_name(media["schema"]) != "ErrorDocument":
                if op["tags"] != [OAUTH_TAG] or code in ("429", "500", "503"):
                    problems.append(f"{op_name(path, method, op)} {code}: not an ErrorDocument")
                continue
            for ex_name, example in media.get("examples", {}).items():
                for error in deref(example)["value"]["errors"]:
                    if error["status"] != code or error["code"] not in ERROR_CODES_BY_STATUS[code]:
                        problems.append(
                            f"{op_name(path, method, op)} {code} example {ex_name}: "
                            f"status {error['status']} code {error['code']}"
                        )
    fail_if(problems, "error responses with wrong documents or codes")


def test_operations_show_the_domain_error_codes_of_the_reference() -> None:
    by_id = {op["operationId"]: op for _, _, _, op in operations()}
    problems = []
    for op_id, wanted in DOMAIN_ERRORS.items():
        for status, code in wanted:
            response = responses(by_id[op_id]).get(status)
            examples = (response or {}).get("content", {}).get("application/json", {})
            shown = {
                e["code"]
                for ex in examples.get("examples", {}).values()
                for e in deref(ex)["value"]["errors"]
            }
            if code not in shown:
                problems.append(f"{op_id} {status}: no example with {code}")
    fail_if(problems, "missing domain errors")


def test_every_response_declares_the_rate_limit_and_request_id_headers() -> None:
    problems = []
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            headers = set(response.get("headers", {}))
            need = {*RATE_HEADERS, "X-Request-ID"}
            if code in ("201", "302"):
                need.add("Location")
            if code in ("429",):
                need.add("Retry-After")
            if code == "401":
                need.add("WWW-Authenticate")
            if missing := need - headers:
                problems.append(f"{op_name(path, method, op)} {code}: missing {sorted(missing)}")
    fail_if(problems, "responses missing headers")


def test_every_operation_accepts_the_request_id_header_parameter() -> None:
    problems = [
        op_name(path, method, op)
        for path, method, _, op in operations()
        if {"$ref": "#/components/parameters/RequestId"} not in op.get("parameters", [])
    ]
    fail_if(problems, "operations without the RequestId parameter")


def test_every_request_body_and_response_media_type_has_named_examples() -> None:
    problems = []
    for path, method, _, op in operations():
        media_types = []
        if "requestBody" in op:
            media_types += [("request", m) for m in deref(op["requestBody"])["content"].items()]
        for code, response in responses(op).items():
            media_types += [(code, m) for m in response.get("content", {}).items()]
        for where, (mime, media) in media_types:
            if not media.get("examples"):
                problems.append(f"{op_name(path, method, op)} {where} {mime}: no examples")
    fail_if(problems, "media types without examples")


def test_every_parameter_and_component_schema_has_a_description() -> None:
    problems = [
        f"{op_name(path, method, op)}: parameter {p['name']}"
        for path, method, item, op in operations()
        for p in parameters(item, op)
        if not p.get("description")
    ]
    problems += [
        f"components.schemas.{name}"
        for name, schema in doc()["components"]["schemas"].items()
        if not schema.get("description")
    ]
    fail_if(problems, "without description")


def test_path_parameters_use_the_prefixed_id_schemas() -> None:
    problems = []
    for path, method, item, op in operations():
        for p in parameters(item, op):
            if p["in"] != "path":
                continue
            expected = PATH_PARAMETER_SCHEMAS.get(p["name"])
            if expected is None or ref_name(p["schema"]) != expected or not p.get("required"):
                problems.append(f"{op_name(path, method, op)}: path parameter {p['name']}")
            if "{" + p["name"] + "}" not in path:
                problems.append(f"{op_name(path, method, op)}: {p['name']} not in the path")
    fail_if(problems, "path parameter problems")


def test_id_schemas_accept_the_reference_ids_and_reject_other_prefixes() -> None:
    schemas = doc()["components"]["schemas"]
    problems = []
    for name, ids in ID_EXAMPLES.items():
        pattern = schemas[name]["pattern"]
        problems += [f"{name} rejects {i}" for i in ids if not re.search(pattern, i)]
        problems += [f"{name} accepts {bad}" for bad in ("x_123", "") if re.search(pattern, bad)]
    fail_if(problems, "id pattern problems")


def test_list_operations_page_with_the_shared_limit_and_offset_parameters() -> None:
    components = doc()["components"]["parameters"]
    limit, offset = components["Limit"], components["Offset"]
    assert (limit["name"], limit["schema"]) == (
        "limit",
        {"type": "integer", "minimum": 1, "maximum": 100, "default": 20, "examples": [20]},
    )
    assert (offset["name"], offset["schema"]["minimum"], offset["schema"]["default"]) == (
        "offset",
        0,
        0,
    )
    problems = []
    for path, method, _, op in operations():
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        if str(ref_name(ok.get("schema")) or "").endswith("ListDocument"):
            refs = {ref_name(p) for p in op.get("parameters", [])}
            if not {"Limit", "Offset"} <= refs:
                problems.append(op_name(path, method, op))
    fail_if(problems, "list operations without Limit/Offset")


def test_search_practitioners_filters_carry_x_filter_hints_on_listed_attributes() -> None:
    problems = []
    hinted = 0
    for path, method, item, op in operations():
        for p in parameters(item, op):
            if "x-filter" not in p:
                continue
            hinted += 1
            hint = p["x-filter"]
            listed = deref(op["responses"]["200"])["content"]["application/json"]["schema"]
            resource = deref(deref(deref(listed)["properties"]["data"])["items"])
            node = deref(resource["properties"]["attributes"])
            for part in hint["field"].split("."):
                node = deref(node.get("properties", {}).get(part))
                if node is None:
                    break
            if node is None or hint.get("op") not in FILTER_OPS:
                problems.append(f"{op_name(path, method, op)}: {p['name']} x-filter {hint}")
    assert hinted >= 8, "expected x-filter hints on the search and list filters"
    fail_if(problems, "x-filter hints on no attribute")


def test_x_mock_rules_name_response_examples_and_match_a_request_example() -> None:
    problems = []
    ruled = 0
    for path, method, _, op in operations():
        for rule in op.get("x-mock-rules", []):
            ruled += 1
            name = f"{op_name(path, method, op)} rule {rule}"
            response = responses(op).get(str(rule["status"]))
            media = (response or {}).get("content", {}).get("application/json", {})
            if rule["example"] not in media.get("examples", {}):
                problems.append(f"{name}: no response example {rule['example']!r}")
            requests = [deref(e)["value"] for e in json_body(op)["examples"].values()]  # type: ignore[index]
            if not any(_matches(value, rule["when"]) for value in requests):
                problems.append(f"{name}: no request example matches `when`")
    assert ruled >= 2, "confirmPaymentIntent should carry x-mock-rules for the test cards"
    fail_if(problems, "x-mock-rules problems")


def _matches(value: Any, when: dict[str, Any]) -> bool:
    for ptr, expected in when.items():
        node = value
        for part in ptr.split("/")[1:]:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        if node != expected:
            return False
    return True


def test_links_name_existing_operations_and_their_parameters() -> None:
    by_id = {op["operationId"]: (item, op) for _, _, item, op in operations()}
    problems = []
    count = 0
    for path, method, _, op in operations():
        for code, response in responses(op).items():
            for link_name, link in response.get("links", {}).items():
                count += 1
                where = f"{op_name(path, method, op)} {code} link {link_name}"
                if link.get("operationId") not in by_id:
                    problems.append(f"{where}: unknown operationId {link.get('operationId')}")
                    continue
                names = {p["name"] for p in parameters(*by_id[link["operationId"]])}
                problems += [
                    f"{where}: no parameter {n}" for n in link["parameters"] if n not in names
                ]
    assert count >= 10, f"only {count} links"
    fail_if(problems, "broken links")


def test_json_request_bodies_are_documents_that_reject_unknown_attributes() -> None:
    problems = []
    for path, method, _, op in operations():
        media = json_body(op)
        if media is None or op["tags"] == [OAUTH_TAG]:
            continue
        data = deref(deref(media["schema"])["properties"]["data"])
        attributes = deref(data["properties"]["attributes"])
        if (
            "const" not in data["properties"]["type"]
            or attributes.get("additionalProperties") is not False
        ):
            problems.append(op_name(path, method, op))
    fail_if(problems, "request bodies without a const type or with open attributes")


def test_rest_enums_match_the_graphql_enums_upper_cased() -> None:
    schema = build_schema(SDL.read_text(encoding="utf-8"))
    problems = []
    for rest, graphql in GRAPHQL_ENUMS.items():
        enum = schema.type_map.get(graphql)
        values = [v.upper() for v in doc()["components"]["schemas"][rest]["enum"]]
        if not isinstance(enum, GraphQLEnumType) or list(enum.values) != values:
            problems.append(f"{rest} {values} != GraphQL {graphql}")
    graphql_codes = schema.type_map.get("ErrorCode")
    if isinstance(graphql_codes, GraphQLEnumType):
        rest_codes = set(doc()["components"]["schemas"]["ErrorCode"]["enum"])
        problems += [
            f"GraphQL ErrorCode {c} not in REST"
            for c in graphql_codes.values
            if c not in rest_codes
        ]
    fail_if(problems, "enum mismatches")


def test_webhooks_are_signed_event_envelopes_one_per_event_type() -> None:
    schemas = doc()["components"]["schemas"]
    problems = []
    for event, item in doc()["webhooks"].items():
        post = item["post"]
        headers = {deref(p)["name"] for p in post["parameters"]}
        if headers != {
            "X-KlearKarma-Signature",
            "X-KlearKarma-Event",
            "X-KlearKarma-Delivery",
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }:
            problems.append(f"{event}: headers {sorted(headers)}")
        declared = doc()["components"]["securitySchemes"]["oauth2"]["flows"]
        scopes = set(declared["authorizationCode"]["scopes"])
        needs = post.get("x-required-scopes")
        if not needs or not set(needs) <= scopes:  # who may receive it (server.webhook_audience)
            problems.append(f"{event}: x-required-scopes {needs}")
        media = deref(post["requestBody"])["content"]["application/json"]
        if not media.get("examples") or any(
            deref(e)["value"]["type"] != event for e in media["examples"].values()
        ):
            problems.append(f"{event}: examples missing or of another type")
    if list(doc()["webhooks"]) != schemas["WebhookEventType"]["enum"]:
        problems.append("webhooks and WebhookEventType list different events")
    fail_if(problems, "webhook problems")


# --- coverage of the reference ------------------------------------------------------------


def test_spec_has_every_rest_endpoint_of_the_reference() -> None:
    endpoints = reference.rest_endpoints()
    assert len(endpoints) >= 20, "the reference parser found too few endpoints"
    have = {(method, path) for path, method, _, _ in operations()}
    missing = [str(e) for e in endpoints if (e.method, e.path) not in have]
    fail_if(missing, "reference endpoints missing from spec/openapi.yaml")


def test_spec_declares_every_query_parameter_the_reference_uses() -> None:
    ops = {(method, path): parameters(item, op) for path, method, item, op in operations()}
    problems = []
    for e in reference.rest_endpoints():
        names = {p["name"] for p in ops.get((e.method, e.path), []) if p["in"] == "query"}
        problems += [f"{e}: query parameter {q}" for q in e.query if q not in names]
    fail_if(problems, "reference query parameters missing")


def test_search_practitioners_has_every_reference_query_parameter_with_its_type() -> None:
    types = {
        "string": {"type": "string"},
        "datetime": {"type": "string", "format": "date-time"},
        "float": {"type": "number"},
        "integer": {"type": "integer"},
    }
    listed = reference.search_query_parameters()
    assert len(listed) >= 10, "the reference parser found too few search parameters"
    path, method, item, op = next(
        o for o in operations() if o[3]["operationId"] == "searchPractitioners"
    )
    declared = {p["name"]: deref(p["schema"]) for p in parameters(item, op)}
    problems = []
    for name, ref_type in listed.items():
        schema = declared.get(name)
        if schema is None:
            problems.append(f"{name}: missing")
        elif any(schema.get(k) != v for k, v in types[ref_type].items()):
            problems.append(f"{name}: {schema} is not a {ref_type}")
    session = declared.get("session_type", {})
    if session.get("enum") != ["video_call", "phone_call", "in_person", "chat"]:
        problems.append("session_type: not the enum video_call, phone_call, in_person, chat")
    fail_if(problems, "search parameters not as the reference says")


def test_oauth2_scheme_declares_exactly_the_scopes_of_the_reference() -> None:
    scopes = reference.scopes()
    assert len(scopes) >= 12, "the reference parser found too few scopes"
    flow = doc()["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    missing = [s for s in scopes if s not in flow["scopes"]]
    extra = [s for s in flow["scopes"] if s not in scopes]
    fail_if(missing + [f"{s} (not in the reference)" for s in extra], "scope differences")


def test_error_code_enum_has_every_common_error_code_of_the_reference() -> None:
    rows = reference.error_code_rows()
    assert len(rows) >= 12, "the reference parser found too few error codes"
    enum = doc()["components"]["schemas"]["ErrorCode"]["enum"]
    missing = [
        f"{reference.guess_error_code(row)} (row {row!r})"
        for row in rows
        if not any(reference.row_has_code(row, code) for code in enum)
    ]
    fail_if(missing, "reference error codes missing from ErrorCode")


def test_webhooks_cover_every_event_type_of_the_reference() -> None:
    events = reference.webhook_events()
    assert len(events) >= 11, "the reference parser found too few event types"
    missing = [e for e in events if e not in doc()["webhooks"]]
    missing += [
        f"{e} (WebhookEventType)"
        for e in events
        if e not in doc()["components"]["schemas"]["WebhookEventType"]["enum"]
    ]
    fail_if(missing, "reference event types missing")


def test_rate_limit_classes_and_tiers_match_the_reference_numbers() -> None:
    classes = doc()["x-rate-limit-classes"]
    expected = reference.rate_limit_classes()
    assert len(expected) >= 4, "the reference parser found too few endpoint limits"
    problems = [
        f"{name}: spec {classes.get(name)} != reference {limit}/{per}"
        for name, (limit, per) in expected.items()
        if (classes.get(name, {}).get("limit"), classes.get(name, {}).get("per")) != (limit, per)
    ]
    tiers = doc()["x-rate-limit-tiers"]
    for tier, (per_hour, burst) in reference.rate_limit_tiers().items():
        spec = tiers.get(tier, {})
        if per_hour is None:
            if spec.get("custom") is not True:
                problems.append(f"tier {tier}: reference says custom")
        elif (spec.get("per_hour"), spec.get("burst")) != (per_hour, burst):
            problems.append(f"tier {tier}: spec {spec} != reference {per_hour}/{burst}")
    fail_if(problems, "rate limit differences")
