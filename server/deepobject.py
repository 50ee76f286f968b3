"""`deepObject` query parameters: `filter[color]=red`, and the nested form clients and
Schemathesis write for objects inside it (`filter[size][min]=1`, arrays as `[0]`, `[1]`).

OpenAPI defines one level; deeper keys are read the way qs, Rails and Spring write them, up
to MAX_DEPTH levels (deeper is a 400, not unbounded work). Leaves are coerced by the schema at
their place (an integer property reads `3` as 3); a leaf that does not coerce stays text and
the validator names what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from server.paramstyles import CoercionError

MAX_DEPTH = 8
_KEYS = re.compile(r"(?:\[[^\[\]]*\])+")
_KEY = re.compile(r"\[([^\[\]]*)\]")
Kinds = Callable[[dict[str, Any]], str]  # a schema's effective JSON type
Resolve = Callable[[dict[str, Any]], dict[str, Any]]  # a schema through its `$ref`s
Scalar = Callable[[str], Callable[[str], Any]]


def key_path(owner: str, key: str) -> list[str] | None:
    """`owner[a][b]` → `["a", "b"]`; None for a key that is not one of `owner`'s."""
    rest = key[len(owner) :]
    if not key.startswith(owner) or not _KEYS.fullmatch(rest):
        return None
    return _KEY.findall(rest)


def insert(tree: dict[str, Any], path: list[str], value: str) -> None:
    """Put `value` at `path`; a key that is both a leaf and a branch is a CoercionError."""
    if len(path) > MAX_DEPTH:
        raise CoercionError(f"is nested deeper than {MAX_DEPTH} levels")
    node = tree
    for key in path[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise CoercionError(f"gives [{key}] both a value and nested keys")
        node = child
    if isinstance(node.get(path[-1]), dict):
        raise CoercionError(f"gives [{path[-1]}] both a value and nested keys")
    node[path[-1]] = value


class Shaper:
    """Turns the tree of texts into the value the schema describes."""

    def __init__(self, kind: Kinds, resolve: Resolve, scalar: Scalar) -> None:
        self.kind, self.resolve, self.scalar = kind, resolve, scalar

    def __call__(self, node: Any, schema: dict[str, Any]) -> Any:
        kind = self.kind(schema)
        if isinstance(node, str):
            try:
                return self.scalar(kind)(node)
            except CoercionError:
                return node
        resolved = self.resolve(schema)
        if kind == "array" and all(k.isdigit() for k in node):
            items = resolved.get("items")
            item = items if isinstance(items, dict) else {}
            return [self(node[k], item) for k in sorted(node, key=int)]
        props = resolved.get("properties") or {}
        extra = resolved.get("additionalProperties")
        other = extra if isinstance(extra, dict) else {}
        return {k: self(v, props.get(k, other)) for k, v in node.items()}
