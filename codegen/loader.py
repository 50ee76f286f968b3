"""Load and validate an OpenAPI 3.0/3.1 document; resolve local `$ref`s on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from server.errors import SpecError


def load_document(path: Path) -> dict[str, Any]:
    """Parse and validate an OpenAPI document; raise SpecError naming the file on any problem."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SpecError(f"{path}: cannot read OpenAPI document: {e}") from e
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith(("3.0", "3.1")):
        raise SpecError(f"{path}: not an OpenAPI 3.0 or 3.1 document")
    try:
        validate(doc)
    except OpenAPIValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path)
        raise SpecError(f"{path}: invalid OpenAPI at /{where}: {e.message}") from e
    return doc


def resolve(doc: dict[str, Any], node: Any) -> Any:
    """Follow a chain of local `$ref`s (`#/a/b`) to the node they name."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SpecError(f"only local $refs are supported, got {ref!r}")
        if ref in seen:
            raise SpecError(f"circular $ref {ref}")
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SpecError(f"unresolvable $ref {ref}")
            target = target[part]
        node = target
    return node
