"""Finding 18: the server refuses text with U+0000 (400) but the spec allowed it, so an
outside Schemathesis run found "schema-valid request rejected" in five operations. The
spec now says it: request text is `components/schemas/Text` (no U+0000), open objects'
extra members are `JsonValue` (Text at any depth)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings

from generated.api_table import TABLE

SPEC = Path(__file__).parents[3] / "spec" / "openapi.yaml"
# The operations of the finding, and the other request bodies with free text.
OPERATIONS = {
    "updateUser": ("/users/{user_id}", "PUT"),
    "updateUserPreferences": ("/users/{user_id}/preferences", "PUT"),
    "updateHealthProfile": ("/users/{user_id}/health_profile", "PUT"),
    "createBooking": ("/bookings", "POST"),
    "createPaymentIntent": ("/payments/intents", "POST"),
}
OTHERS = ("updateBooking", "sendMessage", "createWebhook", "createRefund", "verifyUserEmail")
NO_NUL = "^[^\\x00]*$"
TEXT_REF = "#/$defs/Text"


def _strings(schema: Any, defs: dict[str, Any], at: str, seen: frozenset[str]) -> Iterator[str]:
    """Pointers of the places where this schema accepts a string that may hold U+0000."""
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if ref == TEXT_REF:
        return
    if isinstance(ref, str):
        if ref not in seen:
            yield from _strings(defs[ref.split("/")[-1]], defs, at, seen | {ref})
        return
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    closed = {"enum", "const", "format"} & set(schema) or schema.get("pattern", NO_NUL) != NO_NUL
    if "string" in types and not closed and schema.get("pattern") != NO_NUL:
        yield at
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()):
            yield from _strings(sub, defs, at, seen)
    for name, sub in (schema.get("properties") or {}).items():
        yield from _strings(sub, defs, f"{at}/{name}", seen)
    if "items" in schema:
        yield from _strings(schema["items"], defs, f"{at}/[]", seen)
    is_object = "object" in types or "properties" in schema
    extra = schema.get("additionalProperties", True)
    if is_object and extra is not False:
        if (schema.get("propertyNames") or {}).get("$ref") != TEXT_REF:
            yield f"{at}/<any name>"
        if extra is True:
            yield f"{at}/<any member>"
        else:
            yield from _strings(extra, defs, f"{at}/*", seen)


@pytest.mark.parametrize("op_id", [*OPERATIONS, *OTHERS])
def test_every_request_text_field_says_it_holds_no_nul(op_id: str) -> None:
    body = TABLE["operations"][op_id]["request_body"]["content"]["application/json"]["schema"]
    assert list(_strings(body, TABLE["defs"], "", frozenset())) == []


def test_text_is_one_shared_schema_that_refuses_nul() -> None:
    text = TABLE["defs"]["Text"]
    assert (text["type"], text["pattern"]) == ("string", NO_NUL)


def _nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_nul(k) or _nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_nul(v) for v in value)
    return False


@pytest.fixture(scope="module")
def fuzzer() -> Any:
    return schemathesis.openapi.from_dict(yaml.load(SPEC.read_text(), Loader=yaml.CSafeLoader))


@pytest.mark.parametrize("op_id", OPERATIONS)
def test_schemathesis_draws_no_valid_body_the_server_would_refuse(fuzzer: Any, op_id: str) -> None:
    path, method = OPERATIONS[op_id]

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(fuzzer[path][method].as_strategy())
    def drawn(case: Any) -> None:
        assert not _nul(case.body), case.body

    drawn()
