"""Make generated schemas self-contained: each carries just the `$defs` it uses."""

from __future__ import annotations

import hashlib
import pickle
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


# Stripped schemas by (flag, SHA-256 of the pickled standalone schema), pickled: an app build
# strips the same schemas again (tests build hundreds of apps per process), and unpickling a
# kept one is a third of the cost of stripping it. Pickle keeps every type as it was (YAML
# dates, tuples, NaN, integer keys); equal pickles are equal schemas, and each call gets
# containers of its own, as a fresh strip gives.
_STRIPPED_MAX = 4096
_stripped: dict[tuple[str, bytes], bytes] = {}


def directional(schema: dict[str, Any], defs: dict[str, Any], direction: str) -> dict[str, Any]:
    """A standalone schema for requests (readOnly properties not required) or responses
    (writeOnly properties not required), as OpenAPI specifies."""
    flag = "readOnly" if direction == "request" else "writeOnly"
    whole = standalone(schema, defs)
    try:
        key = (flag, hashlib.sha256(pickle.dumps(whole, pickle.HIGHEST_PROTOCOL)).digest())
    except (pickle.PicklingError, TypeError, AttributeError):  # not plain data: strip it
        return _strip(whole, flag, whole.get("$defs", {}))  # type: ignore[no-any-return]
    kept = _stripped.get(key)
    if kept is None:
        stripped: dict[str, Any] = _strip(whole, flag, whole.get("$defs", {}))
        if len(_stripped) >= _STRIPPED_MAX:
            _stripped.clear()
        _stripped[key] = pickle.dumps(stripped, pickle.HIGHEST_PROTOCOL)
        return stripped
    found: dict[str, Any] = pickle.loads(kept)  # noqa: S301 - bytes this process pickled
    return found
