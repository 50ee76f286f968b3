"""The compiler: a normalised schema -> a tree of generating nodes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema_rs

from mocks.fake.containers import Array, Object, String, any_node
from mocks.fake.errors import GenerationError
from mocks.fake.merge import merge
from mocks.fake.nodes import (
    Boolean,
    Branches,
    Checked,
    Failing,
    Fixed,
    Lazy,
    Node,
    Provided,
    Union,
    number_node,
)
from mocks.fake.regex import pattern
from mocks.fake.registry import Provider, ProviderContext, ProviderRegistry, normalize_name
from mocks.fake.rng import Rng, faker_for
from mocks.fake.schema import (
    ANNOTATIONS,
    HINT_ORDER,
    PRIVATE_CHECKS,
    PRIVATE_GROUPS,
    Check,
    also_divisible,
    is_hidden,
    is_identifier,
    jsonable,
    prune,
    refs_hidden_in,
    singular,
    types_of,
)


class Compiler:
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
        self.hidden_refs = refs_hidden_in(root, hidden)
        self.registry = registry
        self.locale = locale
        defs = root.get("$defs")
        self._defs = {"$defs": defs} if isinstance(defs, Mapping) else {}
        self._refs: dict[tuple[str, str | None], Node] = {}
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
        document = {k: v for k, v in schema.items() if k not in (PRIVATE_GROUPS, PRIVATE_CHECKS)}
        extra = [*schema.get(PRIVATE_GROUPS, []), *schema.get(PRIVATE_CHECKS, [])]
        if extra:
            document = {"allOf": [document, *extra]}
        if "$defs" not in document and self._defs:
            document = prune(document, self._defs["$defs"], self._def_refs)
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

    def compile(self, schema: Any, where: str, name: str | None) -> Node:
        if schema is True or (isinstance(schema, Mapping) and not set(schema) - ANNOTATIONS):
            return any_node(where)
        if not isinstance(schema, Mapping):
            return Failing(GenerationError(where, "the schema is `false`: no value is valid"))
        if "$ref" in schema:
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if not set(rest) - ANNOTATIONS:
                return self.ref(schema["$ref"], where, name)
            schema = {**rest, "allOf": [*rest.get("allOf", ()), {"$ref": schema["$ref"]}]}
        fixed = self.fixed(schema, where, name)
        if fixed is not None:
            return fixed
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for member in self.flatten(schema, where):
                merged = merge(merged, member)
            return self.compile(merged, where, name)
        return self.combinators(schema, where, name)

    def ref(self, ref: Any, where: str, name: str | None) -> Node:
        key = (str(ref), name)
        found = self._refs.get(key)
        if found is None:  # lazily: schemas may be recursive
            target = str(ref)
            found = self._refs[key] = Lazy(
                target, lambda: self.compile(self.resolve(ref, where), target, name)
            )
        return found

    def fixed(self, schema: Mapping[str, Any], where: str, name: str | None) -> Node | None:
        """const, then valid `examples`, then a valid `default`, then valid `enum` values."""
        if "const" in schema:
            if not self.validator(schema)(schema["const"]):
                return Failing(GenerationError(where, "const is not valid against its schema"))
            return Fixed([schema["const"]])
        for keyword in ("examples", "default"):
            if keyword in schema and not is_identifier(name):  # ids must differ: generate
                rest = {k: v for k, v in schema.items() if k != keyword}
                values = schema[keyword] if keyword == "examples" else [schema[keyword]]
                check = self.validator(rest)
                valid = [v for v in values if check(v)] if isinstance(values, list) else []
                fallback = self.compile(rest, where, name)
                return Fixed(valid, fallback) if valid else fallback
        if isinstance(schema.get("enum"), list):
            check = self.validator(schema)
            valid = [value for value in schema["enum"] if check(value)]
            if not valid:
                return Failing(GenerationError(where, "no enum value is valid against the schema"))
            return Fixed(valid)
        return None

    def combinators(self, schema: Mapping[str, Any], where: str, name: str | None) -> Node:
        groups = list(schema.get(PRIVATE_GROUPS, []))
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema:
                rest = {k: v for k, v in schema.items() if k != keyword}
                return self.branches(rest, keyword, schema[keyword], where, name)
        if groups:
            rest = {k: v for k, v in schema.items() if k != PRIVATE_GROUPS}
            if groups[1:]:
                rest[PRIVATE_GROUPS] = groups[1:]
            ((keyword, branches),) = groups[0].items()
            return self.branches(rest, keyword, branches, where, name)
        if "not" in schema:
            rest = {k: v for k, v in schema.items() if k != "not"}
            inner = self.compile(rest, where, name)
            return Checked(inner, self.validator({"not": schema["not"]}), f"{where}/not")
        if "if" in schema:
            rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
            then = {**rest, "allOf": [schema["if"], schema.get("then", True)]}
            otherwise = {**rest, "allOf": [schema.get("else", True)]}
            nodes = [
                self.compile(then, f"{where}/then", name),
                self.compile(otherwise, f"{where}/else", name),
            ]
            triple = {k: schema[k] for k in ("if", "then", "else") if k in schema}
            return Branches(nodes, [self.validator(triple)] * 2, [0, 0], False, where)
        if PRIVATE_CHECKS in schema:
            rest = {k: v for k, v in schema.items() if k != PRIVATE_CHECKS}
            check = self.validator({"allOf": schema[PRIVATE_CHECKS]})
            return Checked(self.compile(rest, where, name), check, f"{where}/allOf")
        return self.typed(schema, where, name)

    def branches(
        self, rest: Mapping[str, Any], keyword: str, branches: Any, where: str, name: str | None
    ) -> Node:
        if not isinstance(branches, list) or not branches:
            return Failing(GenerationError(f"{where}/{keyword}", "needs a non-empty list"))
        alone = not set(rest) - ANNOTATIONS
        nodes, checks, weights = [], [], []
        for index, branch in enumerate(branches):
            spot = f"{where}/{keyword}/{index}"
            effective = branch if alone else {**rest, "allOf": [*rest.get("allOf", ()), branch]}
            nodes.append(self.compile(effective, spot, name))
            checks.append(self.validator(branch))
            weights.append(self.weight(branch, spot))
        return Branches(nodes, checks, weights, keyword == "oneOf", f"{where}/{keyword}")

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

    def typed(self, schema: Mapping[str, Any], where: str, name: str | None) -> Node:
        kinds = types_of(schema)
        if kinds == []:
            return Failing(
                GenerationError(f"{where}/type", "the allowed types have nothing in common")
            )
        if kinds is None:
            base = any_node(where)
        else:
            nodes = [self.of_type(schema, kind, where, name) for kind in kinds]
            base = nodes[0] if len(nodes) == 1 else Union(nodes, [k == "null" for k in kinds])
        provider = self.provider(schema, kinds, where, name)
        if provider is None:
            return base
        fits = self.validator(schema)
        step = schema.get("multipleOf")
        if isinstance(step, float):  # Python's jsonschema divides floats: agree with it too
            fits = also_divisible(fits, step)
        return Provided(provider, schema, name, fits, base)

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
        found = hint_provider(hint, self.registry, self.locale)
        if isinstance(found, str):  # unknown: fail if strict, else let format/name decide
            if self.strict_hints:
                raise GenerationError(where, found)
            return None
        return found

    def of_type(self, schema: Mapping[str, Any], kind: str, where: str, name: str | None) -> Node:
        if kind == "null":
            return Fixed([None])
        if kind == "boolean":
            return Boolean()
        if kind in ("integer", "number"):
            return number_node(schema, kind == "integer", where)
        if kind == "string":
            return String(schema, where)
        if kind == "array":
            return self.array(schema, where, name)
        if kind == "object":
            return self.object(schema, where)
        return Failing(GenerationError(f"{where}/type", f"unknown type {kind!r}"))

    def array(self, schema: Mapping[str, Any], where: str, name: str | None) -> Node:
        items = schema.get("items", True)
        prefix = schema.get("prefixItems", [])
        item_name = singular(name) if name else None
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
        return Array(
            prefix_nodes,
            item_node,
            contains_node,
            least,
            int(schema.get("minItems", 0)),
            schema.get("maxItems"),
            bool(schema.get("uniqueItems", False)),
            where,
        )

    def object(self, schema: Mapping[str, Any], where: str) -> Node:
        declared = schema.get("properties", {})
        required = list(schema.get("required", []))
        entries = []
        for prop, sub in declared.items():
            if is_hidden(sub, self.hidden, self.hidden_refs) and prop not in required:
                continue
            entries.append(
                (prop, self.compile(sub, f"{where}/properties/{prop}", prop), prop in required)
            )
        more = schema.get("additionalProperties", True)
        extra = None if isinstance(more, bool) or not set(more) - ANNOTATIONS else more
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
                entries.append((prop, extra_node or any_node(f"{where}/required"), True))
        names = schema.get("propertyNames")
        names_node = None
        if isinstance(names, Mapping):
            names_node = self.compile(
                {"type": "string", "allOf": [names]}, f"{where}/propertyNames", None
            )
        return Object(
            entries,
            extra_node,
            more is not False,
            patterns,
            names_node,
            (int(schema.get("minProperties", 0)), schema.get("maxProperties")),
            dict(schema.get("dependentRequired", {})),
            where,
        )


def hint_provider(hint: Any, registry: ProviderRegistry, locale: str) -> Provider | str:
    """`x-faker: rating` (a registered provider) or a Faker method (`company.catchPhrase`, or
    `{pyfloat: {min_value: 1}}` with arguments); a string says why neither fits."""
    method: Any = hint
    kwargs: Any = {}
    if isinstance(hint, Mapping) and len(hint) == 1:
        ((method, kwargs),) = hint.items()
    if not isinstance(method, str) or not isinstance(kwargs, Mapping):
        return f"x-faker must name a provider, not {hint!r}"
    if not kwargs:
        for kind in HINT_ORDER:
            found = registry.get(method, kind=kind)
            if found is not None:
                return found
    attribute = normalize_name(method.split(".")[-1])
    if not callable(getattr(faker_for(locale, Rng(0)), attribute, None)):
        return f"unknown x-faker provider {method!r}: register one with mocks.hint({method!r})"
    arguments = dict(kwargs)

    def call_faker(ctx: ProviderContext) -> Any:
        return jsonable(getattr(ctx.faker, attribute)(**arguments))

    return call_faker
