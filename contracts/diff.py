"""Breaking-change detection between two versions of an OpenAPI document (and a GraphQL SDL).

Rules (each finding names its rule):

| rule | breaking when |
|---|---|
| removed-operation | an operation (method + path) disappears |
| removed-response | a documented response status disappears |
| removed-response-property | a property of a response body disappears (a rename is a removal) |
| new-required-request-property | a request body property becomes (or is added as) required |
| new-required-parameter | a parameter becomes (or is added as) required |
| narrowed-type | a request value accepts fewer JSON types, or a response value changes type |
| narrowed-enum | a request enum loses a value |
| stricter-scope | an operation needs a scope it did not need |
| removed-scope | a scope disappears from the security schemes |
| changed-auth | a public operation becomes secured, or its security schemes change |

Added operations, optional properties, response enum values (dangerous) and the like are
reported as non-breaking.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from server.types import ApiTable, OperationSpec


@dataclass(frozen=True)
class Change:
    rule: str
    where: str
    detail: str
    breaking: bool = True

    def __str__(self) -> str:
        return (
            f"[{'BREAKING' if self.breaking else 'info'}] {self.rule}: {self.where}: {self.detail}"
        )


def _key(op: OperationSpec) -> str:
    return f"{op['method']} {op['path']}"


def _resolve(schema: Any, defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    while isinstance(schema, dict) and "$ref" in schema and depth < 32:
        schema = defs.get(str(schema["$ref"]).removeprefix("#/$defs/"), {})
        depth += 1
    if isinstance(schema, dict) and "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(part, defs, depth + 1)
            merged.setdefault("properties", {}).update(part.get("properties") or {})
            merged["required"] = sorted(
                set(merged.get("required") or []) | set(part.get("required") or [])
            )
            for key in ("type", "enum"):
                if key in part and key not in merged:
                    merged[key] = part[key]
        return merged
    return schema if isinstance(schema, dict) else {}


def _types(schema: dict[str, Any]) -> set[str] | None:
    t = schema.get("type")
    if t is None:
        return None
    found = {t} if isinstance(t, str) else set(t)
    if "number" in found:  # every integer is a number
        found.add("integer")
    return found


def _values(a: dict[str, Any], b: dict[str, Any], where: str, request: bool) -> Iterator[Change]:
    """Type and enum changes of one value."""
    ta, tb = _types(a), _types(b)
    if ta is not None and tb is not None and ta != tb:
        if request and not ta <= tb:
            yield Change("narrowed-type", where, f"accepted {sorted(ta)}, now {sorted(tb)}")
        elif not request and not tb <= ta:
            yield Change("narrowed-type", where, f"was {sorted(ta)}, now {sorted(tb)}")
    ea, eb = a.get("enum"), b.get("enum")
    if isinstance(ea, list) and isinstance(eb, list):
        lost = [v for v in ea if v not in eb]
        gained = [v for v in eb if v not in ea]
        if request and lost:
            yield Change("narrowed-enum", where, f"no longer accepts {lost}")
        if not request and gained:
            yield Change("widened-enum", where, f"may now return {gained}", breaking=False)
    elif isinstance(eb, list) and ea is None and request:
        yield Change("narrowed-enum", where, f"now restricted to {eb}")


class _Walker:
    def __init__(self, old_defs: dict[str, Any], new_defs: dict[str, Any]) -> None:
        self.old_defs, self.new_defs = old_defs, new_defs

    def compare(
        self, old: Any, new: Any, where: str, request: bool, depth: int = 0
    ) -> Iterator[Change]:
        if depth > 12:
            return
        a, b = _resolve(old, self.old_defs), _resolve(new, self.new_defs)
        yield from _values(a, b, where, request)
        pa, pb = a.get("properties") or {}, b.get("properties") or {}
        ra, rb = set(a.get("required") or []), set(b.get("required") or [])
        for name in pa:
            path = f"{where}/{name}"
            if name not in pb:
                if not request:
                    yield Change("removed-response-property", path, "property removed")
                continue
            yield from self.compare(pa[name], pb[name], path, request, depth + 1)
        if request:
            for name in sorted(rb - ra):
                yield Change("new-required-request-property", f"{where}/{name}", "now required")
        for key in ("items", "additionalProperties"):
            if isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
                yield from self.compare(a[key], b[key], f"{where}/{key}", request, depth + 1)


def _scopes(op: OperationSpec) -> list[set[str]]:
    return [{s for scopes in req.values() for s in scopes} for req in op["security"]]


def _schemes(op: OperationSpec) -> set[frozenset[str]]:
    return {frozenset(req) for req in op["security"]}


def diff_tables(
    old: ApiTable, new: ApiTable, old_doc: dict[str, Any], new_doc: dict[str, Any]
) -> list[Change]:
    """Every change between two tables, breaking ones flagged."""
    changes: list[Change] = []
    walker = _Walker(old["defs"], new["defs"])
    old_ops = {_key(op): op for op in old["operations"].values()}
    new_ops = {_key(op): op for op in new["operations"].values()}
    for key in sorted(set(new_ops) - set(old_ops)):
        changes.append(Change("added-operation", key, "new operation", breaking=False))
    for key, a in old_ops.items():
        b = new_ops.get(key)
        if b is None:
            changes.append(Change("removed-operation", key, f"{a['operation_id']} was removed"))
            continue
        changes += _operation(walker, key, a, b)
    changes += _removed_scopes(old_doc, new_doc)
    return changes


def _operation(walker: _Walker, key: str, a: OperationSpec, b: OperationSpec) -> list[Change]:
    out: list[Change] = []
    for status, response in a["responses"].items():
        if status not in b["responses"]:
            out.append(
                Change("removed-response", f"{key} {status}", "response no longer documented")
            )
            continue
        for media, spec in response["content"].items():
            new_media = b["responses"][status]["content"].get(media)
            if new_media is None:
                out.append(
                    Change("removed-response", f"{key} {status} {media}", "media type removed")
                )
            elif "schema" in spec and "schema" in new_media:
                out += walker.compare(
                    spec["schema"], new_media["schema"], f"{key} {status} body", False
                )
    pa = {(p["location"], p["name"]): p for p in a["parameters"]}
    for ident, p in {(p["location"], p["name"]): p for p in b["parameters"]}.items():
        old_p = pa.get(ident)
        where = f"{key} {ident[0]} parameter {ident[1]}"
        if p["required"] and (old_p is None or not old_p["required"]):
            out.append(Change("new-required-parameter", where, "now required"))
        if old_p is not None:
            out += walker.compare(old_p["schema"], p["schema"], where, True)
    body_a, body_b = a.get("request_body"), b.get("request_body")
    if body_b and body_b["required"] and not (body_a and body_a["required"]):
        out.append(
            Change("new-required-request-property", f"{key} body", "a request body is now required")
        )
    if body_a and body_b:
        for media, spec in body_a["content"].items():
            new_media = body_b["content"].get(media)
            if new_media is None:
                out.append(
                    Change("narrowed-type", f"{key} body {media}", "media type no longer accepted")
                )
            elif "schema" in spec and "schema" in new_media:
                out += walker.compare(spec["schema"], new_media["schema"], f"{key} body", True)
    out += _security(key, a, b)
    return out


def _security(key: str, a: OperationSpec, b: OperationSpec) -> list[Change]:
    if not a["security"] or any(not r for r in a["security"]):
        if b["security"] and all(r for r in b["security"]):
            return [Change("changed-auth", key, "was public, now requires authentication")]
        return []
    if not b["security"] or any(not r for r in b["security"]):
        return [Change("changed-auth", key, "no longer requires authentication", breaking=False)]
    out = []
    if not _schemes(b) & _schemes(a):
        out.append(
            Change("changed-auth", key, "none of its security schemes are accepted any more")
        )
    weakest_old = min((len(s) for s in _scopes(a)), default=0)
    for needed in _scopes(b):
        extra = sorted(needed - set().union(*_scopes(a)))
        if extra and len(needed) >= weakest_old:
            out.append(Change("stricter-scope", key, f"now also needs {' '.join(extra)}"))
            break
    return out


def _declared_scopes(doc: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for scheme in ((doc.get("components") or {}).get("securitySchemes") or {}).values():
        for flow in (scheme.get("flows") or {}).values():
            found |= set((flow.get("scopes") or {}).keys())
    return found


def _removed_scopes(old_doc: dict[str, Any], new_doc: dict[str, Any]) -> list[Change]:
    lost = sorted(_declared_scopes(old_doc) - _declared_scopes(new_doc))
    return [
        Change("removed-scope", "components/securitySchemes", f"scope {s} removed") for s in lost
    ]


def graphql_changes(old_sdl: str, new_sdl: str) -> list[Change]:
    from graphql import build_schema, find_breaking_changes, find_dangerous_changes

    old, new = build_schema(old_sdl), build_schema(new_sdl)
    out = [
        Change(f"graphql-{c.type.name.lower()}", "schema.graphql", c.description)
        for c in find_breaking_changes(old, new)
    ]
    out += [
        Change(f"graphql-{c.type.name.lower()}", "schema.graphql", c.description, breaking=False)
        for c in find_dangerous_changes(old, new)
    ]
    return out


def major(version: str) -> int:
    head = version.split(".", 1)[0].lstrip("v")
    return int(head) if head.isdigit() else 0
