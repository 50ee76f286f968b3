"""Bundle an OpenAPI document into one self-contained dict with local `$ref`s only.

`referencing` resolves every `$ref` (relative files, URLs, JSON pointers into either). In a
schema position, a target that is not already `#/components/schemas/<name>` is hoisted there
under a fresh name, so circular schemas across files keep working as `$ref`s; anywhere else
(parameters, responses, path items...) an external target is inlined.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

from referencing import Registry, Resource
from referencing.exceptions import Unresolvable

from kkcore.errors import SpecError

Retrieve = Callable[[str], Any]
SCHEMA_PREFIX = "#/components/schemas/"
# Keys whose values are JSON Schemas (or maps of them) in an OpenAPI document.
_SCHEMA_KEYS = frozenset({"schema", "schemas"})
# Keys whose values are data, not documents: never `$ref`s to follow.
_SCHEMA_DATA = frozenset({"example", "examples", "default", "enum", "const"})
_DATA = frozenset({"example", "value"})
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class _Bundler:
    def __init__(self, root: dict[str, Any], root_uri: str, retrieve: Retrieve) -> None:
        self.root_uri = root_uri
        registry: Registry[Any] = Registry(
            retrieve=lambda uri: Resource.opaque(retrieve(uri))  # type: ignore[call-arg]
        ).with_resource(root_uri, Resource.opaque(root))
        self.resolver = registry.resolver(base_uri=root_uri)
        components = root.get("components") or {}
        self.schemas: dict[str, Any] = dict(components.get("schemas") or {})
        self.hoisted: dict[str, str] = {}

    def target(self, resolver: Any, ref: str) -> tuple[str, Any, Any]:
        uri = urljoin(resolver._base_uri, ref)  # noqa: SLF001 - the base is what refs join to
        try:
            resolved = resolver.lookup(ref)
        except (Unresolvable, OSError) as e:
            raise SpecError(f"unresolvable $ref {ref!r} (from {resolver._base_uri}): {e}") from e
        return uri, resolved.contents, resolved.resolver

    def name_for(self, uri: str) -> str:
        doc, fragment = urldefrag(uri)
        base = unquote(fragment.rsplit("/", 1)[-1]) or doc.rsplit("/", 1)[-1].split(".")[0]
        base = _NAME.sub("_", base) or "Schema"
        name, n = base, 1
        while name in self.schemas:
            n += 1
            name = f"{base}_{n}"
        return name

    def schema_ref(self, resolver: Any, ref: str) -> dict[str, Any]:
        uri, contents, inner = self.target(resolver, ref)
        doc, fragment = urldefrag(uri)
        if doc == self.root_uri and re.fullmatch(r"/components/schemas/[^/]+", fragment):
            return {"$ref": "#" + fragment}
        name = self.hoisted.get(uri)
        if name is None:
            name = self.hoisted[uri] = self.name_for(uri)
            self.schemas[name] = {}  # reserved first: a circular schema refers to itself
            self.schemas[name] = self.walk(contents, inner, True, ())
        return {"$ref": SCHEMA_PREFIX + name}

    def walk(self, node: Any, resolver: Any, in_schema: bool, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.walk(n, resolver, in_schema, stack) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if in_schema:
                return self.schema_ref(resolver, ref)
            if ref.startswith("#") and resolver._base_uri == self.root_uri:  # noqa: SLF001
                return node
            uri, contents, inner = self.target(resolver, ref)
            if uri in stack:
                raise SpecError(f"circular $ref {ref!r} outside a schema")
            return self.walk(contents, inner, in_schema, (*stack, uri))
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in (_SCHEMA_DATA if in_schema else _DATA):
                out[key] = value
            elif in_schema and key == "properties" and isinstance(value, dict):
                out[key] = {k: self.walk(v, resolver, True, stack) for k, v in value.items()}
            else:
                out[key] = self.walk(value, resolver, in_schema or key in _SCHEMA_KEYS, stack)
        return out


def needs_bundling(node: Any, in_schema: bool = False) -> bool:
    """Whether any `$ref` is external, or a schema `$ref` points anywhere but a component."""
    if isinstance(node, list):
        return any(needs_bundling(n, in_schema) for n in node)
    if not isinstance(node, dict):
        return False
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#"):
            return True
        return in_schema and not re.fullmatch(r"#/components/schemas/[^/]+", ref)
    skip = _SCHEMA_DATA if in_schema else _DATA
    return any(
        needs_bundling(v, in_schema or k in _SCHEMA_KEYS) for k, v in node.items() if k not in skip
    )


def bundle(root: dict[str, Any], root_uri: str, retrieve: Retrieve) -> dict[str, Any]:
    """`root` with every `$ref` local; unchanged (the same object) when it already is."""
    if not needs_bundling(root):
        return root
    bundler = _Bundler(root, root_uri, retrieve)
    out: dict[str, Any] = {}
    for key, value in root.items():
        if key == "components" and isinstance(value, dict):
            comps = {}
            for kind, entries in value.items():
                if kind == "schemas" and isinstance(entries, dict):
                    for name, schema in entries.items():
                        bundler.schemas[name] = bundler.walk(schema, bundler.resolver, True, ())
                    continue
                comps[kind] = bundler.walk(entries, bundler.resolver, False, ())
            out[key] = comps
        else:
            out[key] = bundler.walk(value, bundler.resolver, False, ())
    out.setdefault("components", {})["schemas"] = bundler.schemas
    return out
