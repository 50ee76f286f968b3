"""Test helpers: fixture specs bundled the way the generator receives schemas."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SPECS = ("petstore31", "library30")


def load_spec(name: str) -> dict[str, Any]:
    with (FIXTURES / name / "openapi.yaml").open() as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=yaml.CSafeLoader)
    return spec


def to_2020_12(node: Any) -> Any:
    """OpenAPI 3.0 schema leftovers to 2020-12, refs to `#/$defs/...` (a stand-in for codegen's
    bundler: nullable, boolean exclusive bounds, `example`)."""
    if isinstance(node, list):
        return [to_2020_12(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: to_2020_12(value) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        out["$ref"] = "#/$defs/" + ref.rsplit("/", 1)[1]
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(exclusive) is True:
            out[exclusive] = out.pop(inclusive)
        elif out.get(exclusive) is False:
            del out[exclusive]
    if out.pop("nullable", False):
        if "type" in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    if "example" in out and "examples" not in out and not isinstance(out.get("example"), dict):
        out["examples"] = [out.pop("example")]
    return out


@functools.cache
def bundled_schemas(spec_name: str) -> dict[str, dict[str, Any]]:
    """Each component schema as a root schema carrying all the spec's schemas in `$defs`.

    Cached: the generator never changes a schema, and reusing one object reuses its plan."""
    spec = load_spec(spec_name)
    defs = {name: to_2020_12(schema) for name, schema in spec["components"]["schemas"].items()}
    return {name: {"$ref": f"#/$defs/{name}", "$defs": defs} for name in defs}


def all_component_schemas() -> list[tuple[str, str, dict[str, Any]]]:
    return [(spec, name, root) for spec in SPECS for name, root in bundled_schemas(spec).items()]
