"""Generating nodes for strings, arrays and objects."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mocks.fake.errors import GenerationError
from mocks.fake.nodes import (
    HARD_DEPTH,
    OPTIONAL_RATE,
    Boolean,
    Fixed,
    Node,
    Run,
    Union,
    number_node,
)
from mocks.fake.regex import Pattern, pattern
from mocks.fake.rng import Rng, words


class String(Node):
    __slots__ = ("_low", "_high", "_pattern", "_error", "_where")

    def __init__(self, schema: Mapping[str, Any], where: str) -> None:
        self._low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        self._high = int(high) if high is not None else None
        self._where = where
        self._pattern: Pattern | None = None
        self._error: GenerationError | None = None
        if self._high is not None and self._low > self._high:
            self._error = GenerationError(where, "minLength is greater than maxLength")
        elif isinstance(schema.get("pattern"), str):
            try:
                self._pattern = pattern(schema["pattern"])
            except Exception as error:  # noqa: BLE001 - reported when a value is needed
                reason = f"cannot generate strings for pattern {schema['pattern']!r}: {error}"
                self._error = GenerationError(f"{where}/pattern", reason)

    def gen(self, run: Run, path: str, depth: int) -> Any:
        if self._error is not None:
            raise self._error
        rng = run.rng(path)
        if self._pattern is None:
            return _text(rng, words(run.locale), self._low, self._high)
        high = self._high if self._high is not None else math.inf
        for stretch in (6, 2, 0, 0, self._low, self._low, self._low // 2):
            text = self._pattern.generate(rng, stretch)
            if self._low <= len(text) <= high and self._pattern.matches(text):
                return text
        reason = f"no string matching {self._pattern.source!r} within the length bounds"
        raise GenerationError(self._where, reason)


def _text(rng: Rng, vocabulary: Sequence[str], low: int, high: int | None) -> str:
    text = " ".join(rng.picks(vocabulary, rng.randint(1, 3))).capitalize()
    while len(text) < low:
        text += " " + vocabulary[rng.below(len(vocabulary))]
    if high is not None and len(text) > high:
        text = text[:high]
        if text.endswith(" ") and len(text) > low:
            text = text[:-1]
    return text


@dataclass(slots=True)
class Array(Node):
    prefix: list[Node]
    items: Node | None  # None: `items: false`
    contains: Node | None
    least: int  # minContains
    low: int
    high: int | None
    unique: bool
    where: str

    def _count(self, run: Run, rng: Rng, depth: int) -> int:
        if run.deep(depth):
            count = self.low
        elif run.size is not None and run.arrays == 0:
            count = run.size
        else:
            count = rng.randint(1, 3)
        count = max(count, self.low, self.least if self.contains else 0)
        if self.high is not None:
            count = min(count, self.high)
        if self.items is None:
            count = min(count, len(self.prefix))
        if count < self.low:
            raise GenerationError(self.where, "minItems exceeds the items allowed")
        return count

    def _node(self, index: int) -> Node:
        if index < len(self.prefix):
            return self.prefix[index]
        if self.contains is not None and index - len(self.prefix) < self.least:
            return self.contains
        return self.items or self.prefix[-1]  # _count keeps index < len(prefix) without items

    def gen(self, run: Run, path: str, depth: int) -> Any:
        if depth > HARD_DEPTH:
            raise GenerationError(self.where, f"items still required at depth {depth}")
        count = self._count(run, run.rng(path), depth)
        out: list[Any] = []
        seen: set[bytes] = set()
        run.arrays += 1
        try:
            for index in range(count):
                node = self._node(index)
                for attempt in range(8):
                    spot = f"{path}/{index}~{attempt}" if attempt else f"{path}/{index}"
                    value = node.gen(run, spot, depth + 1)
                    if not self.unique:
                        break
                    mark = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
                    if mark not in seen:
                        seen.add(mark)
                        break
                else:
                    if len(out) >= self.low:
                        break
                    raise GenerationError(self.where, "too few distinct values for uniqueItems")
                out.append(value)
        finally:
            run.arrays -= 1
        return out


@dataclass(slots=True)
class Object(Node):
    entries: list[tuple[str, Node, bool]]  # (name, node, required)
    extra: Node | None  # additionalProperties, when it is a schema
    open: bool  # additionalProperties is not false
    patterns: list[tuple[Pattern, Node]]
    names: Node | None  # propertyNames
    sizes: tuple[int, int | None]  # min/maxProperties
    needs: dict[str, list[str]]  # dependentRequired
    where: str
    declared: set[str] = field(init=False)
    simple: bool = field(init=False)
    plain: bool = field(init=False)

    def __post_init__(self) -> None:
        self.declared = {e[0] for e in self.entries}
        self.simple = not self.needs and self.sizes == (0, None)
        self.plain = not (self.extra or self.patterns or (self.open and self.sizes[0]))

    def _choose(self, rng: Rng, deep: bool) -> list[tuple[str, Node, bool]]:
        bits, left, names = 0, 0, set()
        for entry in self.entries:  # a byte of randomness per optional property
            if not entry[2]:
                if deep:
                    continue
                if left == 0:
                    bits, left = rng.next64(), 8
                bits, byte, left = bits >> 8, bits & 0xFF, left - 1
                if byte >= OPTIONAL_RATE * 256:
                    continue
            names.add(entry[0])
        if self.simple:
            return [e for e in self.entries if e[0] in names]
        keep = {e[0] for e in self.entries if e[2]}
        for group in (keep, names):  # dependentRequired pulls in companions
            for name in list(group):
                group.update(n for n in self.needs.get(name, ()) if n in self.declared)
        low, high = self.sizes
        optional = [e[0] for e in self.entries if e[0] in names - keep]
        if high is not None and len(names) > high:
            names = keep | set(optional[: max(0, high - len(keep))])
        if len(names) < low:  # minProperties: bring in optional ones first
            optional = [e[0] for e in self.entries if e[0] not in keep]
            names = keep | set(optional[: max(0, low - len(keep))])
        return [e for e in self.entries if e[0] in names]

    def gen(self, run: Run, path: str, depth: int) -> Any:
        if depth > HARD_DEPTH:
            raise GenerationError(self.where, f"properties still required at depth {depth}")
        rng = run.rng(path)
        deep = run.deep(depth)
        out: dict[str, Any] = {}
        for name, node, required in self._choose(rng, deep):
            try:
                out[name] = node.gen(run, f"{path}/{name}", depth + 1)
            except GenerationError:
                if required:
                    raise  # an optional property that cannot be met is left out
        if not self.plain:
            self._add_extra(run, rng, out, path, depth, deep)
        low, high = self.sizes
        if len(out) < low:
            raise GenerationError(self.where, "cannot reach minProperties")
        return out

    def _add_extra(
        self, run: Run, rng: Rng, out: dict[str, Any], path: str, depth: int, deep: bool
    ) -> None:
        """Keys beyond the declared ones: a pattern map's keys, a few entries of a map."""
        low, high = self.sizes
        missing = max(0, low - len(out))
        if deep and not missing:
            return
        sources: list[tuple[Callable[[str], str], Node]] = []
        if self.patterns and (not self.entries or missing):
            sources += [(self._pattern_key(run, p), node) for p, node in self.patterns]
        extra = self.extra or (String({}, self.where) if self.open and missing else None)
        if extra is not None:
            wanted = max(missing - len(sources), rng.randint(0 if self.entries else 1, 2))
            sources += [(self._plain_key(run, depth), extra)] * wanted
        room = high - len(out) if high is not None else len(sources)
        for index, (make_key, node) in enumerate(sources[: max(room, 0)]):
            for attempt in range(6):
                key = make_key(f"{path}#key{index}~{attempt}")
                if key and key not in out and key not in self.declared:
                    out[key] = node.gen(run, f"{path}/{key}", depth + 1)
                    break

    def _pattern_key(self, run: Run, source: Pattern) -> Callable[[str], str]:
        return lambda spot: source.generate(run.rng(spot))

    def _plain_key(self, run: Run, depth: int) -> Callable[[str], str]:
        vocabulary = words(run.locale)

        def make(spot: str) -> str:
            if self.names is not None:
                return str(self.names.gen(run, spot, depth + 1))
            key = vocabulary[run.rng(spot).below(len(vocabulary))]
            return "" if any(p.matches(key) for p, _ in self.patterns) else key

        return make


def any_node(where: str) -> Node:
    """Anything goes: mostly strings, any JSON type now and then (so `not` can be met)."""
    plain = [String({}, where)] * 4 + [number_node({}, True, where), Boolean()]
    rest = [Fixed([None]), Object([], None, False, [], None, (0, 0), {}, where)]
    return Union([*plain, number_node({}, False, where), *rest], [False] * 7 + [True, False])
