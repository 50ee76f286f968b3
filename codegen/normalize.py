"""Turn OpenAPI Schema Objects (3.0 or 3.1) into JSON Schema 2020-12 with `#/$defs/` refs."""

from __future__ import annotations

from typing import Any

from server.errors import SpecError

COMPONENT_PREFIX = "#/components/schemas/"


def to_json_schema(node: Any, *, openapi30: bool) -> Any:
    """A deep copy of `node` as JSON Schema 2020-12; component refs point into `$defs`."""
    if isinstance(node, list):
        return [to_json_schema(n, openapi30=openapi30) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref":
            if not isinstance(value, str) or not value.startswith(COMPONENT_PREFIX):
                raise SpecError(f"schema $ref must point to {COMPONENT_PREFIX}..., got {value!r}")
            out["$ref"] = "#/$defs/" + value[len(COMPONENT_PREFIX) :]
        elif key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
            out[key] = {k: to_json_schema(v, openapi30=openapi30) for k, v in value.items()}
        elif key in ("example", "discriminator", "xml", "externalDocs"):
            continue
        else:
            out[key] = to_json_schema(value, openapi30=openapi30)
    if "example" in node and "examples" not in out:
        out["examples"] = [node["example"]]
    if openapi30:
        _upgrade_30(out)
    return out


def _upgrade_30(schema: dict[str, Any]) -> None:
    if schema.pop("nullable", False):
        if "type" in schema:
            t = schema["type"]
            schema["type"] = [*t, "null"] if isinstance(t, list) else [t, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(exclusive) is True and bound in schema:
            schema[exclusive] = schema.pop(bound)
        elif schema.get(exclusive) is False:
            del schema[exclusive]
