"""Local `$ref`s followed safely: chains end, cycles stop, anything unresolvable is opaque."""

from __future__ import annotations

from typing import Any

MAX_CHAIN = 64  # a $ref chain longer than this is treated as a cycle


def as_dict(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def as_list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else []


def names(node: Any) -> set[str]:
    """The strings of a list (`required`, scopes): anything else in a malformed one is skipped."""
    return {item for item in as_list(node) if isinstance(item, str)}


def pointer_get(doc: Any, ref: str) -> Any:
    target = doc
    for part in ref[2:].split("/") if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        elif isinstance(target, dict) and part in target:
            target = target[part]
        else:
            return None
    return target


class Resolver:
    """Follows `#/...` references inside one document."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def follow(self, node: Any) -> tuple[Any, str | None]:
        """(the node a chain of refs names, the last local ref followed or None).

        An external or broken ref, or a cycle of refs, resolves to a schema naming the ref
        (`{"x-unresolved-ref": ...}`), so two documents with the same such ref compare equal.
        """
        last: str | None = None
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#") or ref in seen or len(seen) >= MAX_CHAIN:
                return {"x-unresolved-ref": ref}, last
            seen.add(ref)
            target = pointer_get(self.doc, ref)
            if target is None:
                return {"x-unresolved-ref": ref}, last
            last = ref
            if len(node) > 1:  # 3.1 allows siblings next to $ref: they refine the target
                siblings = {k: v for k, v in node.items() if k != "$ref"}
                if isinstance(target, dict):
                    node = {**target, **siblings}
                    continue
            node = target
        return node, last

    def node(self, node: Any) -> dict[str, Any]:
        return as_dict(self.follow(node)[0])
