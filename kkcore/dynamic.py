"""JSON Schema 2020-12 generics (`$dynamicRef`/`$dynamicAnchor`) resolved when the table is built.

A document may write `PaginatedResource<T>` the 2020-12 way (Scalar's Galaxy does): the generic
schema declares a default `$dynamicAnchor: itemType` and uses `$dynamicRef: '#itemType'`; a
schema that `$ref`s it binds the item type with its own `$dynamicAnchor: itemType`. At run time
the outermost binding in the dynamic scope wins.

The table keeps every schema in one resource (component refs are `#/$defs/NAME`), where a
dynamic reference has no scope to look in. So each `$ref` to a generic component, made where
some of its anchors are bound, becomes a `$ref` to a specialized copy (`NAME~hash`) whose
`$dynamicRef`s point at those bindings, and every other `$dynamicRef` at its own default.
The anchors then go: the generator and every validator see plain `$ref`s and `allOf`s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, cast

import orjson

from kkcore.errors import SpecError
from kkcore.normalize import LITERALS
from kkcore.types import ApiTable

DEFS = "#/$defs/"
Scope = Mapping[str, Any]  # anchor name -> the schema bound to it (outermost wins)


def resolve_dynamic_refs(table: ApiTable) -> None:
    """Every `$dynamicRef` of `table` made a static reference, in place (see the module)."""
    defs = table["defs"]
    roots = [*_operation_schemas(table), *(w["schema"] for w in table["webhooks"].values())]
    if not any(_mentions(s, "$dynamicRef") for s in [*defs.values(), *roots]):
        return
    binder = _Binder(defs)
    for name in list(defs):
        defs[name] = _bound(binder, defs[name], f"schema {name!r}")
    for where, holder, key in _schema_slots(table):
        holder[key] = _bound(binder, holder[key], where)
    defs.update(binder.specialized)


def _bound(binder: _Binder, schema: Any, where: str) -> Any:
    try:
        return binder.bind(schema, {})
    except SpecError as e:
        raise SpecError(f"{e} (in {where})") from None


class _Binder:
    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = dict(defs)  # as written: specializations start from these, not the bound ones
        self.specialized: dict[str, Any] = {}
        # The anchors each component's dynamic references may be bound to, through its refs.
        self.anchors = {name: self._anchors_of(name, set()) for name in defs}

    def _anchors_of(self, name: str, seen: set[str]) -> frozenset[str]:
        if name in seen or name not in self.defs:
            return frozenset()
        seen.add(name)
        found: set[str] = set()
        for node in _walk(self.defs[name]):
            ref = node.get("$dynamicRef")
            if isinstance(ref, str):
                found.add(ref.rpartition("#")[2])
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(DEFS):
                found |= self._anchors_of(ref[len(DEFS) :], seen)
        return frozenset(found)

    def bind(self, node: Any, scope: Scope) -> Any:
        if isinstance(node, list):
            return [self.bind(n, scope) for n in node]
        if not isinstance(node, dict):
            return node
        scope = {**_declared(node), **scope}  # an outer binding wins over this schema's own
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$dynamicAnchor", "$id"):
                continue
            if key == "$dynamicRef":
                out.setdefault("allOf", []).append(self._target(value, scope))
            elif key == "$ref" and isinstance(value, str) and value.startswith(DEFS):
                out["$ref"] = self._ref(value[len(DEFS) :], scope)
            elif key in LITERALS:
                out[key] = value
            elif key == "allOf" and isinstance(value, list):
                out.setdefault("allOf", []).extend(self.bind(value, scope))
            elif key in ("properties", "patternProperties", "$defs", "dependentSchemas"):
                out[key] = {k: self.bind(v, scope) for k, v in value.items()}
            else:
                out[key] = self.bind(value, scope)
        return out

    def _target(self, ref: Any, scope: Scope) -> Any:
        anchor = ref.rpartition("#")[2] if isinstance(ref, str) else ""
        if anchor not in scope:
            raise SpecError(f"$dynamicRef {ref!r} names no $dynamicAnchor in its scope")
        bound = scope[anchor]
        # The bound schema is evaluated where the reference is: the same dynamic scope.
        return self.bind({k: v for k, v in bound.items() if k != "$dynamicAnchor"}, scope)

    def _ref(self, name: str, scope: Scope) -> str:
        used = {a: scope[a] for a in sorted(self.anchors.get(name, ())) if a in scope}
        if not used:  # nothing bound from outside: the component as written (its defaults)
            return DEFS + name
        digest = hashlib.sha256(orjson.dumps(used, option=orjson.OPT_SORT_KEYS)).hexdigest()
        special = f"{name}~{digest[:10]}"
        if special not in self.specialized:
            self.specialized[special] = {}  # taken first: a generic may refer to itself
            self.specialized[special] = self.bind(self.defs[name], used)
        return DEFS + special


def _declared(node: Mapping[str, Any]) -> dict[str, Any]:
    """The dynamic anchors a schema brings into scope: its own and its `$defs`' ones."""
    found: dict[str, Any] = {}
    own = node.get("$dynamicAnchor")
    if isinstance(own, str):
        found[own] = node
    defs = node.get("$defs")
    for sub in defs.values() if isinstance(defs, Mapping) else ():
        if isinstance(sub, Mapping) and isinstance(sub.get("$dynamicAnchor"), str):
            found.setdefault(sub["$dynamicAnchor"], sub)
    return found


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every schema object under `node`, literal values (`const`, `examples`...) left out."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, dict):
            yield current
            stack.extend(v for k, v in current.items() if k not in LITERALS)


def _mentions(node: Any, keyword: str) -> bool:
    return any(keyword in n for n in _walk(node))


def _schema_slots(table: ApiTable) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, holder, "schema") for every schema outside the components, `where` for errors."""
    for op_id, op in table["operations"].items():
        for holder, key in _slots(op):
            yield f"operation {op_id!r}", holder, key
    for name, hook in table["webhooks"].items():
        yield f"webhook {name!r}", cast(dict[str, Any], hook), "schema"


def _slots(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """(holder, "schema") for each schema of an operation: parameters, bodies, headers."""
    if isinstance(node, list):
        for n in node:
            yield from _slots(n)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "schema" and isinstance(value, dict):
                yield node, key
            elif key not in ("examples", "example"):
                yield from _slots(value)


def _operation_schemas(table: ApiTable) -> Iterator[Any]:
    for _where, holder, key in _schema_slots(table):
        yield holder[key]
