"""Make generated schemas self-contained: each carries just the `$defs` it uses."""

from __future__ import annotations

from typing import Any

from kkcore.errors import SpecError


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


def _flag(prop: Any, flag: str, defs: dict[str, Any]) -> bool:
    if not isinstance(prop, dict):
        return False
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and not prop.get(flag):
        prop = defs.get(ref[len("#/$defs/") :], {})
    return bool(prop.get(flag))


def _strip(node: Any, flag: str, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strip(n, flag, defs) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strip(v, flag, defs) for k, v in node.items()}
    props = node.get("properties")
    if isinstance(props, dict) and isinstance(node.get("required"), list):
        out["required"] = [r for r in node["required"] if not _flag(props.get(r), flag, defs)]
    return out


def directional(schema: dict[str, Any], defs: dict[str, Any], direction: str) -> dict[str, Any]:
    """A standalone schema for requests (readOnly properties not required) or responses
    (writeOnly properties not required), as OpenAPI specifies."""
    flag = "readOnly" if direction == "request" else "writeOnly"
    whole = standalone(schema, defs)
    stripped: dict[str, Any] = _strip(whole, flag, whole.get("$defs", {}))
    return stripped
