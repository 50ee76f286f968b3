"""Deterministic fake data from JSON Schema 2020-12: one valid value per (seed, key, schema).

A schema is compiled once into a tree of nodes (a plan); generating walks the plan. Every node
draws from its own `Rng`, seeded by checksums of (sha256(f"{seed}|{key}|"), path) where `path`
is the instance location, so a value does not shift when an unrelated part of the schema changes.
Each result is checked with a compiled jsonschema-rs validator and regenerated with another
derived seed if it is invalid; after `ATTEMPTS` tries a `GenerationError` names the culprit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import jsonschema_rs
import orjson

from mocks.fake.compiler import Compiler, hint_provider
from mocks.fake.errors import GenerationError, UnknownExample
from mocks.fake.formats import providers as default_providers
from mocks.fake.nodes import Run
from mocks.fake.registry import ProviderRegistry
from mocks.fake.schema import Check, hints, normalize, prune, refs_hidden_in

ATTEMPTS = 8  # whole-value retries, each with a differently derived seed


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
            run = Run(self.seed, key, attempt, size, self.locale)
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
            for where, hint in hints(schema, "#")
            if isinstance(found := hint_provider(hint, self.providers, self.locale), str)
        ]

    def _plan(self, schema: Mapping[str, Any], for_request: bool) -> Plan:
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
            compiled = Plan(schema, hidden, registry, self.locale, self.strict_hints)
        if len(_plans) >= CACHE_SIZE:
            _plans.clear()
            _by_content.clear()
        _plans[(id(schema), *context)] = (schema, registry, compiled)  # refs keep ids unique
        if content is not None:
            _by_content[(content, *context)] = compiled
        return compiled


# Plans do not depend on the seed, so every FakeData shares them.
CACHE_SIZE = 4096
_plans: dict[tuple[Any, ...], tuple[Mapping[str, Any], ProviderRegistry, Plan]] = {}
_by_content: dict[tuple[Any, ...], Plan] = {}


def _copy(value: Any) -> Any:
    try:  # also turns YAML's dates into the strings JSON would carry
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return copy.deepcopy(value)


class Plan:
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
        pruned = prune(schema, defs, {}) if isinstance(defs, Mapping) else schema
        self.root = normalize(pruned, hidden, refs_hidden_in(pruned, hidden))
        try:
            self._validator = jsonschema_rs.validator_for(self.root, validate_formats=True)
        except ValueError as error:
            raise GenerationError("#", f"the schema is not valid JSON Schema: {error}") from error
        self.is_valid: Check = self._validator.is_valid
        compiler = Compiler(self.root, hidden, registry, locale, strict_hints)
        self.node = compiler.compile(self.root, "#", None)

    def explain(self, value: Any) -> GenerationError:
        for error in self._validator.iter_errors(value):
            where = "/".join(str(part) for part in error.schema_path)
            return GenerationError(f"#/{where}", f"generated value is invalid: {error.message}")
        return GenerationError("#", "generated value is invalid")
