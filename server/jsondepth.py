"""A bound on JSON nesting, checked before anything recursive (validation, walks) sees it.

orjson parses up to 1,024 levels, but schema validation recurses per level and gives up
with an exception long before that is useful: a body nested 1,000 deep was a 500. Real
documents nest a handful of levels; MAX_DEPTH leaves ample room.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


def too_deep(raw: bytes | str, value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` (parsed from `raw`) nests objects and arrays deeper than `limit`.

    Counting brackets in `raw` (C speed) settles almost every document: fewer opening
    brackets than `limit` cannot nest deeper. Only larger ones are walked, without recursion.
    """
    opening = (b"{", b"[") if isinstance(raw, bytes) else ("{", "[")
    if raw.count(opening[0]) + raw.count(opening[1]) <= limit:  # type: ignore[arg-type]
        return False
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        items = node.values() if isinstance(node, dict) else node
        stack.extend((x, depth + 1) for x in items if isinstance(x, dict | list))
    return False
