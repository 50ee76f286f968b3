"""Deterministic fake data from JSON Schema 2020-12: one valid value per (seed, key, schema).

A schema is compiled once into a tree of nodes (a plan); generating walks the plan. Every node
draws from its own `Rng`, derived from sha256(f"{seed}|{key}|{path}") where `path` is the
instance location, so a value does not shift when an unrelated part of the schema changes.
Each result is checked with a compiled jsonschema-rs validator and regenerated with another
derived seed if it is invalid; after `ATTEMPTS` tries a `GenerationError` names the culprit.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

import jsonschema_rs
import orjson

from mocks.providers import (
    DECLINE,
    FakeDataError,
    Kind,
    Pattern,
    Provider,
    ProviderContext,
    ProviderRegistry,
    Rng,
    faker_for,
    normalize_name,
    pattern,
    words,
)
from mocks.providers import providers as default_providers

ATTEMPTS = 8  # whole-value retries, each with a differently derived seed
RECURSION = 3  # a $ref met again this often on one path: stop recursing (see _Run.deep)
MAX_DEPTH = 8  # nesting past which values are kept minimal even without recursion
HARD_DEPTH = 24  # still nesting here means required properties recurse without end
OPTIONAL_RATE = 0.85  # share of optional properties present
NULL_RATE = 0.1  # share of nulls where a type list allows null

Check = Callable[[Any], bool]
_JSON_TYPES = frozenset({str, int, float, bool, type(None), dict, list})
_PRIVATE_GROUPS = "x-fake-groups"  # oneOf/anyOf sets left over when allOf members are merged
_PRIVATE_CHECKS = "x-fake-checks"  # keywords that could not be merged: validate only
_ANNOTATIONS = frozenset(
    {"title", "description", "readOnly", "writeOnly", "deprecated", "$comment", "$id", "$schema"}
    | {"discriminator", "xml", "externalDocs", "example", "$anchor", "contentMediaType"}
    | {"$defs", "definitions"}
)
_HINT_ORDER: tuple[Kind, ...] = ("hint", "name", "format")
_VALUES = frozenset({"examples", "example", "default", "enum", "const"})  # data, not schemas
_FIRST_WINS = frozenset({"examples", "default", "format", "x-faker", "$defs", "definitions"})


class GenerationError(FakeDataError):
    """No valid value could be produced; `pointer` names the schema part at fault."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


class UnknownExample(FakeDataError):
    """A named example was asked for that the media type does not have."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        listed = ", ".join(available) or "none"
        super().__init__(f"no example named {name!r}; available: {listed}")
        self.name = name
        self.available = list(available)


class FakeData:
    """Deterministic, schema-valid fake values."""

    def __init__(
        self,
        seed: int = 0,
        providers: ProviderRegistry | None = None,
        locale: str = "en_US",
        *,
        strict_hints: bool = False,
    ) -> None:
        self.seed = seed
        self.providers = providers if providers is not None else default_providers
        self.locale = locale
        self.strict_hints = strict_hints  # an unknown x-faker raises instead of being ignored

    def instance(
        self,
        schema: Mapping[str, Any],
        *,
        key: str,
        size: int | None = None,
        for_request: bool = False,
    ) -> Any:
        """One value valid against `schema`, the same for the same (seed, key, schema) anywhere.

        `size` sets the length of the outermost arrays (clamped to their bounds); `for_request`
        leaves out readOnly properties, otherwise writeOnly ones are left out.
        """
        compiled = self._plan(schema, for_request)
        failure: GenerationError | None = None
        for attempt in range(ATTEMPTS):
            run = _Run(self.seed, key, attempt, size, self.locale)
            try:
                value = compiled.node.gen(run, "", 0)
            except GenerationError as error:
                failure = error
                continue
            if compiled.is_valid(value):
                return value
            failure = compiled.explain(value)
        raise failure or GenerationError("#", "no attempt was made")

    def example_or_instance(
        self,
        media: Mapping[str, Any],
        schema: Mapping[str, Any],
        *,
        key: str,
        example: str | None = None,
        size: int | None = None,
        for_request: bool = False,
    ) -> Any:
        """A media type's named example (`example`, else the first), its `example`, else a fake."""
        named = media.get("examples")
        named = named if isinstance(named, Mapping) else {}
        available = [n for n, ex in named.items() if isinstance(ex, Mapping) and "value" in ex]
        if example is not None:
            if example not in available:
                raise UnknownExample(example, available)
            return _copy(named[example]["value"])
        if available:
            return _copy(named[available[0]]["value"])
        if "example" in media:
            return _copy(media["example"])
        return self.instance(schema, key=key, size=size, for_request=for_request)

    def unknown_hints(self, schema: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(location, reason) of each `x-faker` no provider answers — check these at startup."""
        return [
            (where, found)
            for where, hint in _hints(schema, "#")
            if isinstance(found := _hint_provider(hint, self.providers, self.locale), str)
        ]

    def _plan(self, schema: Mapping[str, Any], for_request: bool) -> _Plan:
        registry = self.providers
        context = (for_request, id(registry), registry.version, self.locale, self.strict_hints)
        found = _plans.get((id(schema), *context))
        if found is not None and found[0] is schema and found[1] is registry:
            return found[2]
        try:  # an equal schema built afresh for this call still finds its plan
            content: bytes | None = orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            content = None
        compiled = _by_content.get((content, *context)) if content is not None else None
        if compiled is None:
            hidden = "readOnly" if for_request else "writeOnly"
            compiled = _Plan(schema, hidden, registry, self.locale, self.strict_hints)
        if len(_plans) >= _CACHE_SIZE:
            _plans.clear()
            _by_content.clear()
        _plans[(id(schema), *context)] = (schema, registry, compiled)  # refs keep ids unique
        if content is not None:
            _by_content[(content, *context)] = compiled
        return compiled


# Plans do not depend on the seed, so every FakeData shares them.
_CACHE_SIZE = 4096
_plans: dict[tuple[Any, ...], tuple[Mapping[str, Any], ProviderRegistry, _Plan]] = {}
_by_content: dict[tuple[Any, ...], _Plan] = {}


def _copy(value: Any) -> Any:
    try:  # also turns YAML's dates into the strings JSON would carry
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return copy.deepcopy(value)


class _Run:
    """The state of one generation: where randomness comes from, and how deep we are."""

    __slots__ = ("_base", "size", "locale", "attempt", "arrays", "entered", "repeats")

    def __init__(self, seed: int, key: str, attempt: int, size: int | None, locale: str) -> None:
        salt = f"#{attempt}" if attempt else ""
        self._base = hashlib.sha256(f"{seed}|{key}{salt}|".encode())
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
        digest = self._base.copy()
        digest.update(path.encode())
        return Rng(int.from_bytes(digest.digest()[:8], "big"))


class _Plan:
    """A schema compiled for one direction (request or response)."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        hidden: str,
        registry: ProviderRegistry,
        locale: str,
        strict_hints: bool,
    ) -> None:
        defs = schema.get("$defs")
        pruned = _prune(schema, defs, {}) if isinstance(defs, Mapping) else schema
        self.root = _normalize(pruned, hidden, _hidden_refs(pruned, hidden))
        try:
            self._validator = jsonschema_rs.validator_for(self.root, validate_formats=True)
        except ValueError as error:
            raise GenerationError("#", f"the schema is not valid JSON Schema: {error}") from error
        self.is_valid: Check = self._validator.is_valid
        compiler = _Compiler(self.root, hidden, registry, locale, strict_hints)
        self.node = compiler.compile(self.root, "#", None)

    def explain(self, value: Any) -> GenerationError:
        for error in self._validator.iter_errors(value):
            where = "/".join(str(part) for part in error.schema_path)
            return GenerationError(f"#/{where}", f"generated value is invalid: {error.message}")
        return GenerationError("#", "generated value is invalid")


# ---- normalisation: tolerate OpenAPI 3.0 leftovers, apply readOnly/writeOnly -------------

_SUB_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SUB_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUB_ONE = ("additionalProperties", "items", "contains", "not", "if", "then", "else")
_SUB_ONE_MORE = ("propertyNames", "unevaluatedProperties", "unevaluatedItems")


def _hidden_refs(root: Mapping[str, Any], hidden: str) -> frozenset[str]:
    defs = root.get("$defs")
    if not isinstance(defs, Mapping):
        return frozenset()
    return frozenset(
        f"#/$defs/{name}"
        for name, sub in defs.items()
        if isinstance(sub, Mapping) and sub.get(hidden)
    )


def _is_hidden(sub: Any, hidden: str, hidden_refs: frozenset[str]) -> bool:
    return isinstance(sub, Mapping) and (sub.get(hidden) is True or sub.get("$ref") in hidden_refs)


def _normalize(schema: Any, hidden: str, hidden_refs: frozenset[str]) -> Any:  # noqa: C901
    """A copy with `nullable` and boolean exclusive bounds (3.0) turned into 2020-12, and the
    properties hidden in this direction (readOnly in requests) no longer required."""
    if not isinstance(schema, Mapping):
        return schema
    out = dict(schema)

    def sub(value: Any) -> Any:
        return _normalize(value, hidden, hidden_refs)

    for keyword in _SUB_MAPS:
        if isinstance(out.get(keyword), Mapping):
            out[keyword] = {name: sub(value) for name, value in out[keyword].items()}
    for keyword in _SUB_LISTS:
        if isinstance(out.get(keyword), list):
            out[keyword] = [sub(value) for value in out[keyword]]
    for keyword in _SUB_ONE + _SUB_ONE_MORE:
        if keyword in out:
            value = out[keyword]
            out[keyword] = [sub(v) for v in value] if isinstance(value, list) else sub(value)
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if out.get(exclusive) is True and inclusive in out:
            out[exclusive] = out.pop(inclusive)
        elif isinstance(out.get(exclusive), bool):
            del out[exclusive]
    if isinstance(out.get("required"), list) and isinstance(out.get("properties"), Mapping):
        gone = {n for n, p in out["properties"].items() if _is_hidden(p, hidden, hidden_refs)}
        out["required"] = [name for name in out["required"] if name not in gone]
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if kind is None:
            return {"anyOf": [out, {"type": "null"}]}
        kinds = [kind] if isinstance(kind, str) else list(kind)
        out["type"] = kinds if "null" in kinds else [*kinds, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


# ---- merging allOf members into one schema --------------------------------------------------

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "propertyNames", "unevaluatedProperties")


def _same(a: Any, b: Any) -> bool:
    return bool(
        orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)
    )


def _fraction(number: Any) -> Fraction:
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def _lcm(a: Any, b: Any) -> int | float:
    x, y = _fraction(a), _fraction(b)
    both = Fraction(math.lcm(x.numerator, y.numerator), math.gcd(x.denominator, y.denominator))
    return int(both) if both.denominator == 1 else float(both)


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:  # noqa: C901
    """`a` and `b` as one schema (allOf); what cannot be merged is kept aside as checks."""
    out = dict(a)
    b = dict(b)
    if "if" in a and "if" in b:
        triple = {k: b.pop(k) for k in ("if", "then", "else") if k in b}
        out[_PRIVATE_CHECKS] = [*out.get(_PRIVATE_CHECKS, []), triple]
    for key, value in b.items():
        if key not in out:
            out[key] = value
            continue
        have = out[key]
        if key == "type":
            mine = [have] if isinstance(have, str) else have
            theirs = [value] if isinstance(value, str) else value
            both = [t for t in mine if t in theirs or (t == "integer" and "number" in theirs)]
            both += [t for t in theirs if t == "integer" and "number" in mine and t not in both]
            out[key] = both
        elif key in ("properties", "patternProperties", "dependentSchemas"):
            merged = dict(have)
            for name, sub in value.items():
                merged[name] = {"allOf": [merged[name], sub]} if name in merged else sub
            out[key] = merged
        elif key == "required":
            out[key] = [*have, *(name for name in value if name not in have)]
        elif key in _LOWER:
            out[key] = max(have, value)
        elif key in _UPPER:
            out[key] = min(have, value)
        elif key in ("uniqueItems", "readOnly", "writeOnly"):
            out[key] = have or value
        elif key == "multipleOf":
            out[key] = _lcm(have, value)
        elif key == "enum":
            out[key] = [v for v in have if any(_same(v, w) for w in value)]
        elif key == "const" and not _same(have, value):
            out["enum"] = []  # two different consts: nothing is valid
        elif key in _SUBSCHEMA_ONE:
            out[key] = False if have is False or value is False else {"allOf": [have, value]}
        elif key == "not":
            out[key] = {"anyOf": [have, value]}
        elif key == "dependentRequired":
            out[key] = {**value, **have} | {
                n: [*have[n], *(d for d in value[n] if d not in have[n])]
                for n in have.keys() & value.keys()
            }
        elif key in ("oneOf", "anyOf"):
            out[_PRIVATE_GROUPS] = [*out.get(_PRIVATE_GROUPS, []), {key: value}]
        elif key in (_PRIVATE_GROUPS, _PRIVATE_CHECKS):
            out[key] = [*have, *value]
        elif (
            key in _FIRST_WINS or key in _ANNOTATIONS or key.startswith("x-") or _same(have, value)
        ):
            pass
        else:
            out[_PRIVATE_CHECKS] = [*out.get(_PRIVATE_CHECKS, []), {key: value}]
    _close(out, a, b)
    return out


def _close(out: dict[str, Any], a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """`additionalProperties: false` on one member forbids the other member's extra names."""
    for closed, other in ((a, b), (b, a)):
        if closed.get("additionalProperties") is False and isinstance(
            other.get("properties"), Mapping
        ):
            allowed = set(closed.get("properties", {}))
            checks = [pattern(p) for p in closed.get("patternProperties", {}) if _parses(p)]
            out["properties"] = {
                name: sub
                for name, sub in out.get("properties", {}).items()
                if name in allowed or any(check.matches(name) for check in checks)
            }


def _parses(source: str) -> bool:
    try:
        pattern(source)
    except Exception:  # an unsupported pattern only loses the name filter
        return False
    return True


# ---- the compiler: schema -> nodes --------------------------------------------------------


class _Compiler:
    def __init__(
        self,
        root: Mapping[str, Any],
        hidden: str,
        registry: ProviderRegistry,
        locale: str,
        strict_hints: bool,
    ) -> None:
        self.root = root
        self.hidden = hidden
        self.strict_hints = strict_hints
        self.hidden_refs = _hidden_refs(root, hidden)
        self.registry = registry
        self.locale = locale
        defs = root.get("$defs")
        self._defs = {"$defs": defs} if isinstance(defs, Mapping) else {}
        self._refs: dict[tuple[str, str | None], _Node] = {}
        self._def_refs: dict[str, set[str]] = {}

    # -- helpers --

    def resolve(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise GenerationError(
                where, f"cannot resolve $ref {ref!r}: only '#/...' refs are bundled"
            )
        node: Any = self.root
        for raw in ref[1:].split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                raise GenerationError(where, f"$ref {ref!r} points nowhere")
        return node

    def validator(self, schema: Any) -> Check:
        """A check against a subschema, with the root's $defs in reach."""
        if not isinstance(schema, Mapping):
            return (lambda _: True) if schema is not False else (lambda _: False)
        document = {k: v for k, v in schema.items() if k not in (_PRIVATE_GROUPS, _PRIVATE_CHECKS)}
        extra = [*schema.get(_PRIVATE_GROUPS, []), *schema.get(_PRIVATE_CHECKS, [])]
        if extra:
            document = {"allOf": [document, *extra]}
        if "$defs" not in document and self._defs:
            document = _prune(document, self._defs["$defs"], self._def_refs)
        try:
            return jsonschema_rs.validator_for(document, validate_formats=True).is_valid
        except ValueError:  # e.g. a foreign $ref: the root validator still has the last word
            return lambda _: True

    def flatten(self, schema: Any, where: str, depth: int = 0) -> list[Mapping[str, Any]]:
        """allOf members and $ref targets, recursively, as plain schemas."""
        if depth > 32:
            raise GenerationError(where, "allOf/$ref chain does not end")
        if schema is True:
            return []
        if not isinstance(schema, Mapping):
            raise GenerationError(where, "an allOf member is `false`: no value is valid")
        rest = {k: v for k, v in schema.items() if k not in ("$ref", "allOf")}
        out: list[Mapping[str, Any]] = [rest] if rest else []
        if "$ref" in schema:
            out += self.flatten(self.resolve(schema["$ref"], where), str(schema["$ref"]), depth + 1)
        for index, member in enumerate(schema.get("allOf", ())):
            out += self.flatten(member, f"{where}/allOf/{index}", depth + 1)
        return out

    # -- compile --

    def compile(self, schema: Any, where: str, name: str | None) -> _Node:
        if schema is True or (isinstance(schema, Mapping) and not set(schema) - _ANNOTATIONS):
            return _any_node(where)
        if not isinstance(schema, Mapping):
            return _Failing(GenerationError(where, "the schema is `false`: no value is valid"))
        if "$ref" in schema:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if not set(rest) - _ANNOTATIONS:
                return self.ref(schema["$ref"], where, name)
            schema = {**rest, "allOf": [*rest.get("allOf", ()), {"$ref": schema["$ref"]}]}
        fixed = self.fixed(schema, where, name)
        if fixed is not None:
            return fixed
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for member in self.flatten(schema, where):
                merged = _merge(merged, member)
            return self.compile(merged, where, name)
        return self.combinators(schema, where, name)

    def ref(self, ref: Any, where: str, name: str | None) -> _Node:
        key = (str(ref), name)
        found = self._refs.get(key)
        if found is None:  # lazily: schemas may be recursive
            target = str(ref)
            found = self._refs[key] = _Lazy(
                target, lambda: self.compile(self.resolve(ref, where), target, name)
            )
        return found

    def fixed(self, schema: Mapping[str, Any], where: str, name: str | None) -> _Node | None:
        """const, then valid `examples`, then a valid `default`, then valid `enum` values."""
        if "const" in schema:
            if not self.validator(schema)(schema["const"]):
                return _Failing(GenerationError(where, "const is not valid against its schema"))
            return _Fixed([schema["const"]])
        for keyword in ("examples", "default"):
            if keyword in schema and not _is_identifier(name):  # ids must differ: generate
                rest = {k: v for k, v in schema.items() if k != keyword}
                values = schema[keyword] if keyword == "examples" else [schema[keyword]]
                check = self.validator(rest)
                valid = [v for v in values if check(v)] if isinstance(values, list) else []
                fallback = self.compile(rest, where, name)
                return _Fixed(valid, fallback) if valid else fallback
        if isinstance(schema.get("enum"), list):
            check = self.validator(schema)
            valid = [value for value in schema["enum"] if check(value)]
            if not valid:
                return _Failing(GenerationError(where, "no enum value is valid against the schema"))
            return _Fixed(valid)
        return None

    def combinators(self, schema: Mapping[str, Any], where: str, name: str | None) -> _Node:
        groups = list(schema.get(_PRIVATE_GROUPS, []))
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                rest = {k: v for k, v in schema.items() if k != keyword}
                return self.branches(rest, keyword, schema[keyword], where, name)
        if groups:
            rest = {k: v for k, v in schema.items() if k != _PRIVATE_GROUPS}
            if groups[1:]:
                rest[_PRIVATE_GROUPS] = groups[1:]
            ((keyword, branches),) = groups[0].items()
            return self.branches(rest, keyword, branches, where, name)
        if "not" in schema:
            rest = {k: v for k, v in schema.items() if k != "not"}
            inner = self.compile(rest, where, name)
            return _Checked(inner, self.validator({"not": schema["not"]}), f"{where}/not")
        if "if" in schema:
            rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
            then = {**rest, "allOf": [schema["if"], schema.get("then", True)]}
            otherwise = {**rest, "allOf": [schema.get("else", True)]}
            nodes = [
                self.compile(then, f"{where}/then", name),
                self.compile(otherwise, f"{where}/else", name),
            ]
            triple = {k: schema[k] for k in ("if", "then", "else") if k in schema}
            return _Branches(nodes, [self.validator(triple)] * 2, [0, 0], False, where)
        if _PRIVATE_CHECKS in schema:
            rest = {k: v for k, v in schema.items() if k != _PRIVATE_CHECKS}
            check = self.validator({"allOf": schema[_PRIVATE_CHECKS]})
            return _Checked(self.compile(rest, where, name), check, f"{where}/allOf")
        return self.typed(schema, where, name)

    def branches(
        self, rest: Mapping[str, Any], keyword: str, branches: Any, where: str, name: str | None
    ) -> _Node:
        if not isinstance(branches, list) or not branches:
            return _Failing(GenerationError(f"{where}/{keyword}", "needs a non-empty list"))
        alone = not set(rest) - _ANNOTATIONS
        nodes, checks, weights = [], [], []
        for index, branch in enumerate(branches):
            spot = f"{where}/{keyword}/{index}"
            effective = branch if alone else {**rest, "allOf": [*rest.get("allOf", ()), branch]}
            nodes.append(self.compile(effective, spot, name))
            checks.append(self.validator(branch))
            weights.append(self.weight(branch, spot))
        return _Branches(nodes, checks, weights, keyword == "oneOf", f"{where}/{keyword}")

    def weight(self, branch: Any, where: str) -> int:
        """0 for branches that end recursion (null, scalars), 1 for the rest."""
        if isinstance(branch, Mapping) and "$ref" in branch:
            try:
                branch = self.resolve(branch["$ref"], where)
            except GenerationError:
                return 1
        kind = branch.get("type") if isinstance(branch, Mapping) else None
        kinds = {kind} if isinstance(kind, str) else set(kind or ["object"])
        return 0 if kinds <= {"null", "string", "number", "integer", "boolean"} else 1

    def typed(self, schema: Mapping[str, Any], where: str, name: str | None) -> _Node:
        kinds = _types(schema)
        if kinds == []:
            return _Failing(
                GenerationError(f"{where}/type", "the allowed types have nothing in common")
            )
        if kinds is None:
            base = _any_node(where)
        else:
            nodes = [self.of_type(schema, kind, where, name) for kind in kinds]
            base = nodes[0] if len(nodes) == 1 else _Union(nodes, [k == "null" for k in kinds])
        provider = self.provider(schema, kinds, where, name)
        if provider is None:
            return base
        fits = self.validator(schema)
        step = schema.get("multipleOf")
        if isinstance(step, float):  # Python's jsonschema divides floats: agree with it too
            fits = _also_divisible(fits, step)
        return _Provided(provider, schema, name, fits, base)

    def provider(
        self, schema: Mapping[str, Any], kinds: list[str] | None, where: str, name: str | None
    ) -> Provider | None:
        if "x-faker" in schema:
            hinted = self.hint(schema["x-faker"], f"{where}/x-faker")
            if hinted is not None:
                return hinted
        fmt = schema.get("format")
        if isinstance(fmt, str):
            found = self.registry.get(fmt, kind="format")
            if found is not None:
                return found
        if name and (kinds is None or {"string", "number", "integer"} & set(kinds)):
            return self.registry.for_property(name)
        return None

    def hint(self, hint: Any, where: str) -> Provider | None:
        found = _hint_provider(hint, self.registry, self.locale)
        if isinstance(found, str):  # unknown: fail if strict, else let format/name decide
            if self.strict_hints:
                raise GenerationError(where, found)
            return None
        return found

    def of_type(self, schema: Mapping[str, Any], kind: str, where: str, name: str | None) -> _Node:
        if kind == "null":
            return _Fixed([None])
        if kind == "boolean":
            return _Boolean()
        if kind in ("integer", "number"):
            return _number(schema, kind == "integer", where)
        if kind == "string":
            return _String(schema, where)
        if kind == "array":
            return self.array(schema, where, name)
        if kind == "object":
            return self.object(schema, where)
        return _Failing(GenerationError(f"{where}/type", f"unknown type {kind!r}"))

    def array(self, schema: Mapping[str, Any], where: str, name: str | None) -> _Node:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems", [])
        item_name = _singular(name) if name else None
        prefix_nodes = [
            self.compile(s, f"{where}/prefixItems/{i}", None) for i, s in enumerate(prefix)
        ]
        item_node = None if items is False else self.compile(items, f"{where}/items", item_name)
        contains_node, least = None, 0
        if "contains" in schema:
            wanted = (
                {"allOf": [items, schema["contains"]]}
                if isinstance(items, Mapping)
                else schema["contains"]
            )
            contains_node = self.compile(wanted, f"{where}/contains", item_name)
            least = int(schema.get("minContains", 1))
        return _Array(
            prefix_nodes,
            item_node,
            contains_node,
            least,
            int(schema.get("minItems", 0)),
            schema.get("maxItems"),
            bool(schema.get("uniqueItems", False)),
            where,
        )

    def object(self, schema: Mapping[str, Any], where: str) -> _Node:
        declared = schema.get("properties", {})
        required = list(schema.get("required", []))
        entries = []
        for prop, sub in declared.items():
            if _is_hidden(sub, self.hidden, self.hidden_refs) and prop not in required:
                continue
            entries.append(
                (prop, self.compile(sub, f"{where}/properties/{prop}", prop), prop in required)
            )
        more = schema.get("additionalProperties", True)
        extra = None if isinstance(more, bool) or not set(more) - _ANNOTATIONS else more
        extra_node = self.compile(extra, f"{where}/additionalProperties", None) if extra else None
        patterns = []
        for index, (source, sub) in enumerate(schema.get("patternProperties", {}).items()):
            node = self.compile(sub, f"{where}/patternProperties/{index}", None)
            try:
                patterns.append((pattern(source), node))
            except Exception:  # noqa: BLE001 - an unsupported pattern only means no such keys
                continue
        for prop in required:  # required but not declared: any value the object allows
            if prop not in declared:
                entries.append((prop, extra_node or _any_node(f"{where}/required"), True))
        names = schema.get("propertyNames")
        names_node = None
        if isinstance(names, Mapping):
            names_node = self.compile(
                {"type": "string", "allOf": [names]}, f"{where}/propertyNames", None
            )
        return _Object(
            entries,
            extra_node,
            more is not False,
            patterns,
            names_node,
            (int(schema.get("minProperties", 0)), schema.get("maxProperties")),
            dict(schema.get("dependentRequired", {})),
            where,
        )


def _hint_provider(hint: Any, registry: ProviderRegistry, locale: str) -> Provider | str:
    """`x-faker: rating` (a registered provider) or a Faker method (`company.catchPhrase`, or
    `{pyfloat: {min_value: 1}}` with arguments); a string says why neither fits."""
    method: Any = hint
    kwargs: Any = {}
    if isinstance(hint, Mapping) and len(hint) == 1:
        ((method, kwargs),) = hint.items()
    if not isinstance(method, str) or not isinstance(kwargs, Mapping):
        return f"x-faker must name a provider, not {hint!r}"
    if not kwargs:
        for kind in _HINT_ORDER:
            found = registry.get(method, kind=kind)
            if found is not None:
                return found
    attribute = normalize_name(method.split(".")[-1])
    if not callable(getattr(faker_for(locale, Rng(0)), attribute, None)):
        return f"unknown x-faker provider {method!r}: register one with mocks.hint({method!r})"
    arguments = dict(kwargs)

    def call_faker(ctx: ProviderContext) -> Any:
        return _jsonable(getattr(ctx.faker, attribute)(**arguments))

    return call_faker


def _hints(node: Any, where: str) -> list[tuple[str, Any]]:
    """Every `x-faker` in a schema document, with its location."""
    if isinstance(node, list):
        return [h for i, item in enumerate(node) for h in _hints(item, f"{where}/{i}")]
    if not isinstance(node, Mapping):
        return []
    found = [(f"{where}/x-faker", node["x-faker"])] if "x-faker" in node else []
    skip = ("x-faker", "examples", "example", "default", "enum", "const")
    return found + [
        h for key, value in node.items() if key not in skip for h in _hints(value, f"{where}/{key}")
    ]


def _prune(
    schema: Mapping[str, Any], defs: Mapping[str, Any], cache: dict[str, set[str]]
) -> dict[str, Any]:
    """`schema` with just the `defs` it refers to, directly or through other defs: compiling
    all of a big spec's $defs costs milliseconds per validator. `cache` memoizes refs per def."""
    out = {key: value for key, value in schema.items() if key != "$defs"}
    needed: set[str] = set()
    todo = _refs_in(out)
    while todo:
        name = todo.pop()
        if name not in needed and name in defs:
            needed.add(name)
            found = cache.get(name)
            if found is None:
                found = cache[name] = _refs_in(defs[name])
            todo |= found
    if needed:
        out["$defs"] = {name: defs[name] for name in sorted(needed)}
    return out


def _refs_in(node: Any) -> set[str]:
    """Names of the `#/$defs/...` a schema refers to."""
    if isinstance(node, list):
        return set().union(*(_refs_in(item) for item in node))
    if not isinstance(node, Mapping):
        return set()
    found = set().union(*(_refs_in(value) for key, value in node.items() if key not in _VALUES))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        found.add(ref[len("#/$defs/") :].split("/")[0].replace("~1", "/").replace("~0", "~"))
    return found


def _is_identifier(name: str | None) -> bool:
    return name is not None and (name == "id" or normalize_name(name).endswith("_id"))


def _also_divisible(check: Check, step: float) -> Check:
    def fits(value: Any) -> bool:
        exact = not isinstance(value, float) or (value / step).is_integer()
        return exact and check(value)

    return fits


def _types(schema: Mapping[str, Any]) -> list[str] | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return list(dict.fromkeys(kind))
    keys = set(schema)
    if keys & {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
    }:
        return ["object"]
    if keys & {"items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"}:
        return ["array"]
    if keys & {"pattern", "minLength", "maxLength", "format"}:
        return ["string"]
    if keys & {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}:
        return ["number"]
    return None


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "shes", "ches", "xes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return value


# ---- nodes --------------------------------------------------------------------------------


class _Node:
    __slots__ = ()

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        raise NotImplementedError


@dataclass(slots=True)
class _Failing(_Node):
    """A part of the schema nothing satisfies; it fails only if generation reaches it."""

    error: GenerationError

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        raise self.error


class _Lazy(_Node):
    """A $ref, compiled when first reached (schemas may be recursive)."""

    __slots__ = ("_build", "_node", "_target")

    def __init__(self, target: str, build: Callable[[], _Node]) -> None:
        self._target = target
        self._build = build
        self._node: _Node | None = None

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        if self._node is None:
            try:
                self._node = self._build()
            except GenerationError as error:
                self._node = _Failing(error)
        target = self._target
        before = run.entered.get(target, 0)
        run.entered[target] = before + 1
        run.repeats += before > 0
        try:
            return self._node.gen(run, path, depth)
        finally:
            run.entered[target] = before
            run.repeats -= before > 0


class _Fixed(_Node):
    """const, enum, examples, default: a choice among given values.

    With a fallback (examples, default) the later retries generate instead, so a list with
    uniqueItems is not stuck repeating the only example.
    """

    __slots__ = ("_values", "_blobs", "_fallback")

    def __init__(self, values: list[Any], fallback: _Node | None = None) -> None:
        self._values = values
        self._blobs = [orjson.dumps(v) if isinstance(v, dict | list) else None for v in values]
        self._fallback = fallback

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        if self._fallback is not None and run.attempt >= 2:
            return self._fallback.gen(run, path, depth)
        index = run.rng(path).below(len(self._values)) if len(self._values) > 1 else 0
        blob = self._blobs[index]
        return self._values[index] if blob is None else orjson.loads(blob)


class _Boolean(_Node):
    __slots__ = ()

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        return run.rng(path).below(2) == 1


class _Union(_Node):
    """A type list: one of the types, null only now and then (and whenever we are deep)."""

    __slots__ = ("_nodes", "_null", "_others")

    def __init__(self, nodes: list[_Node], is_null: list[bool]) -> None:
        self._nodes = nodes
        self._null = next((n for n, null in zip(nodes, is_null, strict=True) if null), None)
        self._others = [n for n, null in zip(nodes, is_null, strict=True) if not null]

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        rng = run.rng(path + "#type")
        if self._null is not None and (
            run.deep(depth) or rng.random() < NULL_RATE or not self._others
        ):
            return self._null.gen(run, path, depth)
        return self._others[rng.below(len(self._others))].gen(run, path, depth)


def _any_node(where: str) -> _Node:
    """Anything goes: mostly strings, any JSON type now and then (so `not` can be met)."""
    plain = [_String({}, where)] * 4 + [_number({}, True, where), _Boolean()]
    rest = [_Fixed([None]), _Object([], None, False, [], None, (0, 0), {}, where)]
    return _Union([*plain, _number({}, False, where), *rest], [False] * 7 + [True, False])


@dataclass(slots=True)
class _Provided(_Node):
    """A provider's value when it fits the schema, else the schema-driven value."""

    fn: Provider
    schema: Mapping[str, Any]
    name: str | None
    fits: Check
    fallback: _Node

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        rng = run.rng(path + "#p")
        value = self.fn(ProviderContext(rng, self.schema, self.name, run.locale, self.fits))
        if value is not DECLINE:
            value = value if type(value) in _JSON_TYPES else _jsonable(value)
            try:
                if self.fits(value):
                    return value
            except ValueError:  # not JSON at all: the provider's mistake, the schema decides
                pass
        return self.fallback.gen(run, path, depth)


@dataclass(slots=True)
class _Checked(_Node):
    """`not`, and allOf parts that could not be merged: generate, then check."""

    inner: _Node
    check: Check
    where: str

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        for attempt in range(6):
            value = self.inner.gen(run, f"{path}~{attempt}" if attempt else path, depth)
            if self.check(value):
                return value
        raise GenerationError(self.where, "no generated value satisfies this part of the schema")


@dataclass(slots=True)
class _Branches(_Node):
    """oneOf (exactly one branch must match), anyOf, and if/then/else (two branches)."""

    nodes: list[_Node]
    checks: list[Check]
    weights: list[int]  # 0 for branches that end recursion: preferred when deep
    exclusive: bool
    where: str

    def gen(self, run: _Run, path: str, depth: int) -> Any:
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


def _number(schema: Mapping[str, Any], integer: bool, where: str) -> _Node:
    """Bounds, exclusive bounds and multipleOf, all exact (fractions), decided once."""
    low, low_open = _edge(schema, "minimum", "exclusiveMinimum", max)
    high, high_open = _edge(schema, "maximum", "exclusiveMaximum", min)
    if integer or schema.get("format") in ("int32", "int64"):
        bits = 31 if schema.get("format") == "int32" else 63
        low = max(low, Fraction(-(2**bits))) if low is not None else None
        high = min(high, Fraction(2**bits - 1)) if high is not None else None
    step = _fraction(schema["multipleOf"]) if "multipleOf" in schema else None
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
            return _Failing(GenerationError(where, "no number lies within the bounds"))
        return _Float(float(low), float(high), low_open, high_open)
    first = math.ceil(low / step)
    first += 1 if low_open and first * step == low else 0
    last = math.floor(high / step)
    last -= 1 if high_open and last * step == high else 0
    if first > last:
        return _Failing(GenerationError(where, f"no multiple of {step} lies within the bounds"))
    return _Steps(first, last, step, integer)


def _edge(
    schema: Mapping[str, Any], closed: str, opened: str, pick: Callable[..., Fraction]
) -> tuple[Fraction | None, bool]:
    found: list[tuple[Fraction, bool]] = []
    for keyword, is_open in ((closed, False), (opened, True)):
        value = schema.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((_fraction(value), is_open))
    if not found:
        return None, False
    best = pick(value for value, _ in found)
    return best, any(is_open for value, is_open in found if value == best)


@dataclass(slots=True)
class _Steps(_Node):
    """Multiples of `step` from first*step to last*step."""

    first: int
    last: int
    step: Fraction
    integer: bool

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        rng, count = run.rng(path), self.last - self.first + 1
        if self.integer:
            return int((self.first + rng.below(count)) * self.step)
        step = float(self.step)
        for _ in range(8):  # prefer values whose float division checks out too (Python jsonschema)
            value = float((self.first + rng.below(count)) * self.step)
            if (value / step).is_integer():
                return value
        return value


@dataclass(slots=True)
class _Float(_Node):
    low: float
    high: float
    low_open: bool
    high_open: bool

    def _inside(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and (value < self.high if self.high_open else value <= self.high)

    def gen(self, run: _Run, path: str, depth: int) -> Any:
        raw = run.rng(path).uniform(self.low, self.high)
        for digits in (2, 4, 8):  # realistic: two decimals where the bounds allow
            value = round(raw, digits)
            if self._inside(value):
                return value
        for value in (raw, (self.low + self.high) / 2):
            if self._inside(value):
                return value
        return self.low


class _String(_Node):
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

    def gen(self, run: _Run, path: str, depth: int) -> Any:
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
class _Array(_Node):
    prefix: list[_Node]
    items: _Node | None  # None: `items: false`
    contains: _Node | None
    least: int  # minContains
    low: int
    high: int | None
    unique: bool
    where: str

    def _count(self, run: _Run, rng: Rng, depth: int) -> int:
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

    def _node(self, index: int) -> _Node:
        if index < len(self.prefix):
            return self.prefix[index]
        if self.contains is not None and index - len(self.prefix) < self.least:
            return self.contains
        return self.items or self.prefix[-1]  # _count keeps index < len(prefix) without items

    def gen(self, run: _Run, path: str, depth: int) -> Any:
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
class _Object(_Node):
    entries: list[tuple[str, _Node, bool]]  # (name, node, required)
    extra: _Node | None  # additionalProperties, when it is a schema
    open: bool  # additionalProperties is not false
    patterns: list[tuple[Pattern, _Node]]
    names: _Node | None  # propertyNames
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

    def _choose(self, rng: Rng, deep: bool) -> list[tuple[str, _Node, bool]]:
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

    def gen(self, run: _Run, path: str, depth: int) -> Any:
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
        self, run: _Run, rng: Rng, out: dict[str, Any], path: str, depth: int, deep: bool
    ) -> None:
        """Keys beyond the declared ones: a pattern map's keys, a few entries of a map."""
        low, high = self.sizes
        missing = max(0, low - len(out))
        if deep and not missing:
            return
        sources: list[tuple[Callable[[str], str], _Node]] = []
        if self.patterns and (not self.entries or missing):
            sources += [(self._pattern_key(run, p), node) for p, node in self.patterns]
        extra = self.extra or (_String({}, self.where) if self.open and missing else None)
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

    def _pattern_key(self, run: _Run, source: Pattern) -> Callable[[str], str]:
        return lambda spot: source.generate(run.rng(spot))

    def _plain_key(self, run: _Run, depth: int) -> Callable[[str], str]:
        vocabulary = words(run.locale)

        def make(spot: str) -> str:
            if self.names is not None:
                return str(self.names.gen(run, spot, depth + 1))
            key = vocabulary[run.rng(spot).below(len(vocabulary))]
            return "" if any(p.matches(key) for p, _ in self.patterns) else key

        return make
