"""Generating nodes: the state of one generation (`Run`), scalars and combinators."""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import orjson

from mocks.fake.errors import GenerationError
from mocks.fake.merge import fraction
from mocks.fake.registry import DECLINE, Provider, ProviderContext
from mocks.fake.rng import Rng
from mocks.fake.schema import JSON_TYPES, Check, jsonable

RECURSION = 3  # a $ref met again this often on one path: stop recursing (see Run.deep)
MAX_DEPTH = 8  # nesting past which values are kept minimal even without recursion
HARD_DEPTH = 24  # still nesting here means required properties recurse without end
OPTIONAL_RATE = 0.85  # share of optional properties present
NULL_RATE = 0.1  # share of nulls where a type list allows null


class Run:
    """The state of one generation: where randomness comes from, and how deep we are."""

    __slots__ = ("_crc", "_adler", "size", "locale", "attempt", "arrays", "entered", "repeats")

    def __init__(self, seed: int, key: str, attempt: int, size: int | None, locale: str) -> None:
        salt = f"#{attempt}" if attempt else ""
        prefix = hashlib.sha256(f"{seed}|{key}{salt}|".encode()).digest()
        self._crc, self._adler = zlib.crc32(prefix), zlib.adler32(prefix)
        self.size = size
        self.locale = locale
        self.attempt = attempt
        self.arrays = 0  # arrays being generated around the current node
        self.entered: dict[str, int] = {}  # $ref nodes being generated around it, and how often
        self.repeats = 0  # how many of those entries re-enter a $ref already entered

    def deep(self, depth: int) -> bool:
        """Past here optional properties are dropped, arrays kept minimal, nulls preferred."""
        return self.repeats >= RECURSION or depth >= MAX_DEPTH

    def rng(self, path: str) -> Rng:
        """The randomness of one value: 64 bits of checksums of (run prefix, path), which
        cost half of a sha256 per path; `Rng` mixes its state before the first draw."""
        raw = path.encode()
        return Rng((zlib.crc32(raw, self._crc) << 32) | zlib.adler32(raw, self._adler))


class Node:
    __slots__ = ()

    def gen(self, run: Run, path: str, depth: int) -> Any:
        raise NotImplementedError


@dataclass(slots=True)
class Failing(Node):
    """A part of the schema nothing satisfies; it fails only if generation reaches it."""

    error: GenerationError

    def gen(self, run: Run, path: str, depth: int) -> Any:
        raise self.error


class Lazy(Node):
    """A $ref, compiled when first reached (schemas may be recursive)."""

    __slots__ = ("_build", "_node", "_target")

    def __init__(self, target: str, build: Callable[[], Node]) -> None:
        self._target = target
        self._build = build
        self._node: Node | None = None

    def gen(self, run: Run, path: str, depth: int) -> Any:
        if self._node is None:
            try:
                self._node = self._build()
            except GenerationError as error:
                self._node = Failing(error)
        target = self._target
        before = run.entered.get(target, 0)
        run.entered[target] = before + 1
        run.repeats += before > 0
        try:
            return self._node.gen(run, path, depth)
        finally:
            run.entered[target] = before
            run.repeats -= before > 0


class Fixed(Node):
    """const, enum, examples, default: a choice among given values.

    With a fallback (examples, default) the later retries generate instead, so a list with
    uniqueItems is not stuck repeating the only example.
    """

    __slots__ = ("_values", "_blobs", "_fallback")

    def __init__(self, values: list[Any], fallback: Node | None = None) -> None:
        self._values = values
        self._blobs = [orjson.dumps(v) if isinstance(v, dict | list) else None for v in values]
        self._fallback = fallback

    def gen(self, run: Run, path: str, depth: int) -> Any:
        if self._fallback is not None and run.attempt >= 2:
            return self._fallback.gen(run, path, depth)
        index = run.rng(path).below(len(self._values)) if len(self._values) > 1 else 0
        blob = self._blobs[index]
        return self._values[index] if blob is None else orjson.loads(blob)


class Boolean(Node):
    __slots__ = ()

    def gen(self, run: Run, path: str, depth: int) -> Any:
        return run.rng(path).below(2) == 1


class Union(Node):
    """A type list: one of the types, null only now and then (and whenever we are deep)."""

    __slots__ = ("_nodes", "_null", "_others")

    def __init__(self, nodes: list[Node], is_null: list[bool]) -> None:
        self._nodes = nodes
        self._null = next((n for n, null in zip(nodes, is_null, strict=True) if null), None)
        self._others = [n for n, null in zip(nodes, is_null, strict=True) if not null]

    def gen(self, run: Run, path: str, depth: int) -> Any:
        rng = run.rng(path + "#type")
        if self._null is not None and (
            run.deep(depth) or rng.random() < NULL_RATE or not self._others
        ):
            return self._null.gen(run, path, depth)
        return self._others[rng.below(len(self._others))].gen(run, path, depth)


@dataclass(slots=True)
class Provided(Node):
    """A provider's value when it fits the schema, else the schema-driven value."""

    fn: Provider
    schema: Mapping[str, Any]
    name: str | None
    fits: Check
    fallback: Node

    def gen(self, run: Run, path: str, depth: int) -> Any:
        rng = run.rng(path + "#p")
        value = self.fn(ProviderContext(rng, self.schema, self.name, run.locale, self.fits))
        if value is not DECLINE:
            value = value if type(value) in JSON_TYPES else jsonable(value)
            try:
                if self.fits(value):
                    return value
            except ValueError:  # not JSON at all: the provider's mistake, the schema decides
                pass
        return self.fallback.gen(run, path, depth)


@dataclass(slots=True)
class Checked(Node):
    """`not`, and allOf parts that could not be merged: generate, then check."""

    inner: Node
    check: Check
    where: str

    def gen(self, run: Run, path: str, depth: int) -> Any:
        for attempt in range(6):
            value = self.inner.gen(run, f"{path}~{attempt}" if attempt else path, depth)
            if self.check(value):
                return value
        raise GenerationError(self.where, "no generated value satisfies this part of the schema")


@dataclass(slots=True)
class Branches(Node):
    """oneOf (exactly one branch must match), anyOf, and if/then/else (two branches)."""

    nodes: list[Node]
    checks: list[Check]
    weights: list[int]  # 0 for branches that end recursion: preferred when deep
    exclusive: bool
    where: str

    def gen(self, run: Run, path: str, depth: int) -> Any:
        count = len(self.nodes)
        start = run.rng(path + "#of").below(count)
        order = [(start + offset) % count for offset in range(count)]
        if run.deep(depth):
            order.sort(key=self.weights.__getitem__)
        failure: GenerationError | None = None
        for index in order:
            for attempt in range(3):
                spot = f"{path}~{index}.{attempt}" if attempt else path
                try:
                    value = self.nodes[index].gen(run, spot, depth)
                except GenerationError as error:
                    failure = error
                    continue
                if self._fits(index, value):
                    return value
        if failure is not None and not self.exclusive:
            raise failure
        reason = "no branch yields a value that matches exactly one branch"
        raise GenerationError(self.where, reason if self.exclusive else "no branch can be met")

    def _fits(self, index: int, value: Any) -> bool:
        if not self.checks[index](value):
            return False
        if not self.exclusive:
            return True
        return not any(check(value) for i, check in enumerate(self.checks) if i != index)


def number_node(schema: Mapping[str, Any], integer: bool, where: str) -> Node:
    """Bounds, exclusive bounds and multipleOf, all exact (fractions), decided once."""
    low, low_open = _edge(schema, "minimum", "exclusiveMinimum", max)
    high, high_open = _edge(schema, "maximum", "exclusiveMaximum", min)
    if integer or schema.get("format") in ("int32", "int64"):
        bits = 31 if schema.get("format") == "int32" else 63
        low = max(low, Fraction(-(2**bits))) if low is not None else None
        high = min(high, Fraction(2**bits - 1)) if high is not None else None
    step = fraction(schema["multipleOf"]) if "multipleOf" in schema else None
    if integer:  # integers that are multiples of p/q are the multiples of p
        step = Fraction(step.numerator) if step else Fraction(1)
    span = 100 * max(step or 1, 1)
    if low is None:
        low = high - span if high is not None and high < 0 else Fraction(integer)
        low = min(low, high) if high is not None else low
    if high is None:
        high = low + span
    if step is None:
        if low > high or (low == high and (low_open or high_open)):
            return Failing(GenerationError(where, "no number lies within the bounds"))
        return Float(float(low), float(high), low_open, high_open)
    first = math.ceil(low / step)
    first += 1 if low_open and first * step == low else 0
    last = math.floor(high / step)
    last -= 1 if high_open and last * step == high else 0
    if first > last:
        return Failing(GenerationError(where, f"no multiple of {step} lies within the bounds"))
    return Steps(first, last, step, integer)


def _edge(
    schema: Mapping[str, Any], closed: str, opened: str, pick: Callable[..., Fraction]
) -> tuple[Fraction | None, bool]:
    found: list[tuple[Fraction, bool]] = []
    for keyword, is_open in ((closed, False), (opened, True)):
        value = schema.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((fraction(value), is_open))
    if not found:
        return None, False
    best = pick(value for value, _ in found)
    return best, any(is_open for value, is_open in found if value == best)


@dataclass(slots=True)
class Steps(Node):
    """Multiples of `step` from first*step to last*step."""

    first: int
    last: int
    step: Fraction
    integer: bool

    def gen(self, run: Run, path: str, depth: int) -> Any:
        rng, count = run.rng(path), self.last - self.first + 1
        if self.integer:
            return (self.first + rng.below(count)) * self.step.numerator  # an integer step
        step = float(self.step)
        for _ in range(8):  # prefer values whose float division checks out too (Python jsonschema)
            value = float((self.first + rng.below(count)) * self.step)
            if (value / step).is_integer():
                return value
        return value


@dataclass(slots=True)
class Float(Node):
    low: float
    high: float
    low_open: bool
    high_open: bool

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and (value < self.high if self.high_open else value <= self.high)

    def gen(self, run: Run, path: str, depth: int) -> Any:
        raw = run.rng(path).uniform(self.low, self.high)
        for digits in (2, 4, 8):  # realistic: two decimals where the bounds allow
            value = round(raw, digits)
            if self._inside(value):
                return value
        for value in (raw, (self.low + self.high) / 2):
            if self._inside(value):
                return value
        return self.low
