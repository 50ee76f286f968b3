"""Parameters whose schema allows values of several JSON types (`oneOf`/`anyOf` branches or a
`type` list), e.g. Directus' `meta`: `oneOf: [string, array of enum]`, style form.

A raw `meta=` or `meta=*` could be read as the string or as the one-item array. A single
coercion (the first non-string type, server.parameters.effective_type) reads `meta=` as
`[""]`, which no branch accepts, and the request is refused although the string branch takes
it. Here each type the schema allows gets its own coercer; a value is read as the first
of them (structured types before string, as before) whose result the whole schema accepts,
else as the first that could read it at all (its validator then names what is wrong).

A parameter whose schema accepts null reads the text `null` as null when no other type of the
schema takes it (styles have no null; clients such as Schemathesis send `null`, e.g.
Dialogporten's nullable object header `accept-Language`). A `[string, null]` parameter still
reads `null` as the string.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from kkcore.types import ParameterSpec
from server.paramstyles import CoercionError

Coercer = Callable[[list[str]], Any]
MakeCoercer = Callable[[ParameterSpec, dict[str, Any]], Coercer]
KindOf = Callable[[dict[str, Any], dict[str, Any]], str]  # server.parameters.effective_type
MAX_DEPTH = 16
NULL = "null"


def _resolved(schema: Any, defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str) and ref.startswith("#/$defs/") and depth < MAX_DEPTH:
        return _resolved(defs.get(ref[8:], {}), defs, depth + 1)
    return schema if isinstance(schema, dict) else {}


def branches(schema: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    """One schema per JSON type the parameter may take (a single one: not a union)."""
    top = _resolved(schema, defs)
    found: list[dict[str, Any]] = []
    types = top.get("type")
    if isinstance(types, list):
        found = [{**top, "type": t} for t in types if t != "null"]
    for key in ("oneOf", "anyOf"):
        found += [_resolved(s, defs) for s in top.get(key) or [] if isinstance(s, dict)]
    return found


def coercer_for(
    spec: ParameterSpec,
    defs: dict[str, Any],
    make: MakeCoercer,
    kind_of: KindOf,
    valid: Callable[[Any], bool],
) -> Coercer:
    """`make(spec, defs)`, or for a union of types the coercer described above."""
    if "content" in spec or "schema" not in spec:
        return make(spec, defs)
    by_kind: dict[str, dict[str, Any]] = {}
    for branch in branches(spec["schema"], defs):
        by_kind.setdefault(kind_of(branch, defs), branch)
    if len(by_kind) < 2:
        coerce = make(spec, defs)
    else:  # structured types, then string, then null (stable: spec order)
        order = sorted(by_kind, key=lambda kind: (kind == NULL, kind == "string"))
        each = [make(cast(ParameterSpec, {**spec, "schema": by_kind[k]}), defs) for k in order]
        coerce = _union(each, valid)
    return _or_null(coerce, valid) if valid(None) else coerce


def _or_null(coerce: Coercer, valid: Callable[[Any], bool]) -> Coercer:
    def read(values: list[str]) -> Any:
        if values != [NULL]:
            return coerce(values)
        try:
            value = coerce(values)
        except CoercionError:
            return None
        return value if valid(value) else None

    return read


def _union(each: list[Coercer], valid: Callable[[Any], bool]) -> Coercer:
    def union(values: list[str]) -> Any:
        read: list[Any] = []
        failure: CoercionError | None = None
        for coerce in each:
            try:
                value = coerce(values)
            except CoercionError as e:
                failure = failure or e
                continue
            if valid(value):
                return value
            read.append(value)
        if read:
            return read[0]
        assert failure is not None
        raise failure

    return union
