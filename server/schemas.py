"""Make generated schemas self-contained: each carries just the `$defs` it uses."""

from __future__ import annotations

from typing import Any

from server.errors import SpecError


def referenced_defs(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The transitive closure of `#/$defs/` names that `schema` uses, in a stable order."""
    found: dict[str, Any] = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref[len("#/$defs/") :]
                if name not in found:
                    if name not in defs:
                        raise SpecError(f"unknown schema {name!r}")
                    found[name] = defs[name]
                    stack.append(defs[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return {k: found[k] for k in sorted(found)}


def standalone(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """`schema` with just the `$defs` it needs, ready to compile on its own."""
    needed = referenced_defs(schema, defs)
    return {**schema, "$defs": needed} if needed else dict(schema)
