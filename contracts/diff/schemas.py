"""Two JSON Schemas compared in one direction, recursively, with resolved `$ref`s.

Results are memoised per pair of referenced schemas (a component used by twenty operations is
compared once) and a pair already being compared further up stops the recursion (cycles).
The work is bounded: past `MAX_STEPS` schema pairs the comparison fails with a clear error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from contracts.diff.findings import DiffError, Direction
from contracts.diff.keywords import KEYWORD_CHECKS
from contracts.diff.refs import Resolver, as_dict, names
from contracts.diff.rules import Effect

MAX_STEPS = 200_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class Delta:
    aspect: str
    effect: Effect
    path: str  # inside the schema: /property/[]/oneOf[Name]
    detail: str


def _closed(schema: dict[str, Any]) -> bool:
    return (
        schema.get("additionalProperties") is False or schema.get("unevaluatedProperties") is False
    )


class SchemaDiff:
    def __init__(self, old: Resolver, new: Resolver) -> None:
        self.old, self.new = old, new
        self.memo: dict[tuple[str, str, Direction], list[Delta]] = {}
        self.active: set[tuple[str, str, Direction]] = set()
        self.steps = 0

    def compare(self, old: Any, new: Any, direction: Direction) -> list[Delta]:
        return self._walk(old, new, direction, 0)

    def _walk(self, old: Any, new: Any, direction: Direction, depth: int) -> list[Delta]:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise DiffError(f"schemas too large to compare (more than {MAX_STEPS} schema pairs)")
        a, ref_a = self.old.follow(old)
        b, ref_b = self.new.follow(new)
        if depth > MAX_DEPTH:
            return []
        # Memoised only for a bare `$ref`: 3.1 siblings next to it (a `maxLength` beside a shared
        # text schema) refine the target per use, so the pair of refs alone does not decide.
        bare = _bare_ref(old) and _bare_ref(new)
        key = (ref_a, ref_b, direction) if ref_a and ref_b and bare else None
        if key is not None:
            if key in self.memo:
                return self.memo[key]
            if key in self.active:
                return []
            self.active.add(key)
        try:
            found = list(
                self._pair(self._merged(a, self.old), self._merged(b, self.new), direction, depth)
            )
        finally:
            if key is not None:
                self.active.discard(key)
        if key is not None:
            self.memo[key] = found
        return found

    def _merged(self, schema: Any, resolver: Resolver, depth: int = 0) -> dict[str, Any]:
        """allOf folded into one schema: properties and required united, first keyword wins."""
        whole = as_dict(schema)
        parts = whole.get("allOf")
        if not isinstance(parts, list) or depth > 8:
            return whole
        merged = {k: v for k, v in whole.items() if k != "allOf"}
        for raw in parts:
            part = self._merged(resolver.node(raw), resolver, depth + 1)
            props = {**as_dict(part.get("properties")), **as_dict(merged.get("properties"))}
            required = names(merged.get("required")) | names(part.get("required"))
            merged = {**part, **merged}
            if props:
                merged["properties"] = props
            if required:
                merged["required"] = sorted(required)
        return merged

    def _pair(
        self, a: dict[str, Any], b: dict[str, Any], direction: Direction, depth: int
    ) -> Iterator[Delta]:
        for check in KEYWORD_CHECKS:
            for aspect, effect, detail in check(a, b):
                yield Delta(aspect, effect, "", detail)
        yield from self._properties(a, b, direction, depth)
        yield from self._additional(a, b, direction, depth)
        yield from self._items(a, b, direction, depth)
        for word in ("oneOf", "anyOf"):
            yield from self._variants(word, a, b, direction, depth)

    def _nested(
        self, prefix: str, old: Any, new: Any, direction: Direction, depth: int
    ) -> Iterator[Delta]:
        for d in self._walk(old, new, direction, depth + 1):
            yield Delta(d.aspect, d.effect, prefix + d.path, d.detail)

    def _properties(
        self, a: dict[str, Any], b: dict[str, Any], direction: Direction, depth: int
    ) -> Iterator[Delta]:
        pa, pb = as_dict(a.get("properties")), as_dict(b.get("properties"))
        unseen = "readOnly" if direction is Direction.REQUEST else "writeOnly"
        for name, schema in pa.items():
            if name in pb:
                yield from self._nested(f"/{name}", schema, pb[name], direction, depth)
            elif self.old.node(schema).get(unseen) is not True:
                aspect = (
                    "closed-property"
                    if direction is Direction.REQUEST and _closed(b)
                    else "property"
                )
                yield Delta(aspect, Effect.REMOVED, f"/{name}", "property removed")
        for name in pb.keys() - pa.keys():
            yield Delta("property", Effect.ADDED, f"/{name}", "property added")
        ra, rb = names(a.get("required")), names(b.get("required"))
        for name in sorted(rb - ra):
            if self.new.node(pb.get(name)).get(unseen) is not True:
                yield Delta("required", Effect.NARROWED, f"/{name}", "property became required")
        for name in sorted(ra - rb):
            if name in pb and self.new.node(pb.get(name)).get(unseen) is not True:
                yield Delta("required", Effect.WIDENED, f"/{name}", "property became optional")

    def _additional(
        self, a: dict[str, Any], b: dict[str, Any], direction: Direction, depth: int
    ) -> Iterator[Delta]:
        xa, xb = a.get("additionalProperties", True), b.get("additionalProperties", True)
        if isinstance(xa, dict) and isinstance(xb, dict):
            yield from self._nested("/{*}", xa, xb, direction, depth)
        elif xa is not xb and (xa is False or xb is False or xa is True or xb is True):
            # open (true) > a schema > closed (false)
            rank = {True: 2, False: 0}
            old, new = (
                rank.get(xa, 1) if isinstance(xa, bool) else 1,
                rank.get(xb, 1) if isinstance(xb, bool) else 1,
            )
            if old != new:
                effect = Effect.NARROWED if new < old else Effect.WIDENED
                yield Delta(
                    "additionalProperties",
                    effect,
                    "",
                    f"additionalProperties {_word(xa)} -> {_word(xb)}",
                )

    def _items(
        self, a: dict[str, Any], b: dict[str, Any], direction: Direction, depth: int
    ) -> Iterator[Delta]:
        ia, ib = a.get("items"), b.get("items")
        if isinstance(ia, dict) and isinstance(ib, dict):
            yield from self._nested("/[]", ia, ib, direction, depth)
        elif isinstance(ia, dict) != isinstance(ib, dict):
            effect = Effect.NARROWED if isinstance(ib, dict) else Effect.WIDENED
            yield Delta(
                "type",
                effect,
                "/[]",
                "items schema " + ("added" if isinstance(ib, dict) else "removed"),
            )
        pa, pb = a.get("prefixItems"), b.get("prefixItems")
        if isinstance(pa, list) and isinstance(pb, list):
            for i, (x, y) in enumerate(zip(pa, pb, strict=False)):
                yield from self._nested(f"/[{i}]", x, y, direction, depth)

    def _variants(
        self, word: str, a: dict[str, Any], b: dict[str, Any], direction: Direction, depth: int
    ) -> Iterator[Delta]:
        va, vb = _keyed(a.get(word), self.old), _keyed(b.get(word), self.new)
        if not va or not vb:
            return
        for k in va.keys() & vb.keys():
            yield from self._nested(f"/{word}[{k}]", va[k], vb[k], direction, depth)
        lost, gained = [k for k in va if k not in vb], [k for k in vb if k not in va]
        while lost and gained and lost[0].startswith("#") and gained[0].startswith("#"):
            # unnamed inline variants in the same position: compare them as one variant
            x, y = lost.pop(0), gained.pop(0)
            yield from self._nested(f"/{word}[{y}]", va[x], vb[y], direction, depth)
        for k in lost:
            yield Delta(word, Effect.NARROWED, f"/{word}[{k}]", "variant removed")
        for k in gained:
            yield Delta(word, Effect.WIDENED, f"/{word}[{k}]", "variant added")


def _word(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else "a schema"


def _keyed(variants: Any, resolver: Resolver) -> dict[str, Any]:
    """Variants named by their $ref or title (or null); the rest by position."""
    if not isinstance(variants, list):
        return {}
    out: dict[str, Any] = {}
    for i, raw in enumerate(variants):
        node, ref = resolver.follow(raw)
        node = as_dict(node)
        if ref:
            key = ref.rsplit("/", 1)[-1]
        elif isinstance(node.get("title"), str):
            key = node["title"]
        elif node == {"type": "null"}:  # the 3.1 nullable idiom: oneOf [X, {type: null}]
            key = "null"
        else:
            key = f"#{i}"
        out[key if key not in out else f"{key}#{i}"] = raw
    return out


def _bare_ref(node: Any) -> bool:
    return isinstance(node, dict) and len(node) == 1 and "$ref" in node
