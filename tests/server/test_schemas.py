"""server/schemas.py: `directional` strips a schema once per content and direction in a
process; every call gets a schema of its own, equal to a fresh strip, with its values' types."""

from __future__ import annotations

import copy
import datetime
from typing import Any
from unittest import mock

from server import schemas
from server.schemas import directional

DEFS: dict[str, Any] = {
    "Booking": {
        "type": "object",
        "required": ["id", "secret", "when"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
            "when": {"type": "string", "default": datetime.date(2026, 1, 2)},
            "tags": {"enum": [(1, 2)], "default": float("inf")},
        },
    }
}
SCHEMA = {"type": "array", "items": {"$ref": "#/$defs/Booking"}}


def fresh(direction: str) -> dict[str, Any]:
    flag = "readOnly" if direction == "request" else "writeOnly"
    whole = schemas.standalone(SCHEMA, DEFS)
    out: dict[str, Any] = schemas._strip(whole, flag, whole["$defs"])
    return out


def test_a_schema_is_stripped_once_and_each_call_gets_its_own_copy() -> None:
    getattr(schemas, "_stripped", {}).clear()
    with mock.patch.object(schemas, "_strip", wraps=schemas._strip) as strip:
        first = [directional(copy.deepcopy(SCHEMA), DEFS, "response") for _ in range(3)]
    whole_schemas = [
        c for c in strip.call_args_list if isinstance(c.args[0], dict) and "$defs" in c.args[0]
    ]
    assert len(whole_schemas) == 1
    assert all(f == fresh("response") for f in first)
    booking = first[1]["$defs"]["Booking"]
    assert booking["required"] == ["id", "when"]
    assert booking["properties"]["when"]["default"] == datetime.date(2026, 1, 2)
    assert booking["properties"]["tags"]["enum"] == [(1, 2)]
    booking["required"].append("changed")  # one caller's change reaches no other
    assert directional(SCHEMA, DEFS, "response") == fresh("response")
    assert first[2]["$defs"]["Booking"]["required"] == ["id", "when"]


def test_each_direction_and_content_is_kept_apart() -> None:
    request = directional(SCHEMA, DEFS, "request")
    assert request == fresh("request")
    assert request["$defs"]["Booking"]["required"] == ["secret", "when"]
    other = copy.deepcopy(DEFS)
    other["Booking"]["properties"]["when"]["readOnly"] = True
    assert directional(SCHEMA, other, "request")["$defs"]["Booking"]["required"] == ["secret"]


def test_a_schema_that_cannot_be_pickled_is_stripped_as_before() -> None:
    odd = {"type": "object", "default": lambda: None, "required": [], "properties": {}}
    assert directional(odd, {}, "request")["default"] is odd["default"]
