"""Small values of the Postman files: stable ids, `{{variables}}`, example values as text."""

from __future__ import annotations

import json
import uuid
from typing import Any

NAMESPACE = uuid.UUID("6f1c1b7e-4b8e-4e43-9a4b-6b6c0c7a1e21")


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def variable(name: str) -> str:
    return "{{" + name + "}}"


def example_value(schema: dict[str, Any], defs: dict[str, Any], prefer_test: bool) -> Any:
    seen = 0
    while "$ref" in schema and seen < 20:
        schema = defs.get(str(schema["$ref"])[8:], {})
        seen += 1
    examples = list(schema.get("examples") or [])
    if prefer_test:
        for ex in examples:
            if isinstance(ex, str) and ex.startswith("test"):
                return ex
    if examples:
        return examples[0]
    if "default" in schema:
        return schema["default"]
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    return ""


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def pick_example(examples: dict[str, Any]) -> Any:
    for name, value in examples.items():
        if name.lower().startswith(("test", "sandbox")):
            return value
    return next(iter(examples.values()), None)
