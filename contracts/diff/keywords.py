"""One schema against another, keyword by keyword (no recursion): what each change does to the
set of values the schema admits.

OpenAPI 3.0 (`nullable`, boolean `exclusiveMinimum`) and 3.1 (type arrays, numeric
`exclusiveMinimum`) forms are read alike, so a 3.0 -> 3.1 migration compares by meaning.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

from contracts.diff.refs import as_dict, names
from contracts.diff.rules import Effect

Delta = tuple[str, Effect, str]  # (aspect of rules.SCHEMA_RULES, effect, detail)
N, W, C = Effect.NARROWED, Effect.WIDENED, Effect.CHANGED

# Formats whose values are a subset of another's: (narrow, wide).
FORMAT_SUBSETS = {("int32", "int64"), ("float", "double")}


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _number(value: Any) -> float | int | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return value if ok else None


def types_of(schema: dict[str, Any]) -> tuple[frozenset[str] | None, bool]:
    """(JSON types but null, or None for any; whether null is admitted)."""
    raw = schema.get("type")
    if raw is None:
        return None, True
    found = {raw} if isinstance(raw, str) else names(raw)
    nullable = "null" in found or schema.get("nullable") is True
    found.discard("null")
    if "number" in found:  # every integer is a number
        found.add("integer")
    return frozenset(found), nullable


def _tighter(old: Any, new: Any) -> Effect | None:
    """Compare two bound keys where a greater key is a tighter bound (None: no bound)."""
    if old == new:
        return None
    if old is None:
        return N
    if new is None:
        return W
    return N if new > old else W


def _lower(s: dict[str, Any]) -> tuple[Any, bool] | None:
    found = []
    if (m := _number(s.get("minimum"))) is not None:
        found.append((m, s.get("exclusiveMinimum") is True))
    if (e := _number(s.get("exclusiveMinimum"))) is not None:
        found.append((e, True))
    return max(found) if found else None


def _upper(s: dict[str, Any]) -> tuple[Any, bool] | None:
    found = []
    if (m := _number(s.get("maximum"))) is not None:
        found.append((-m, s.get("exclusiveMaximum") is True))
    if (e := _number(s.get("exclusiveMaximum"))) is not None:
        found.append((-e, True))
    return max(found) if found else None


def _show(bound: tuple[Any, bool] | None, negate: bool = False) -> str:
    if bound is None:
        return "none"
    value = -bound[0] if negate else bound[0]
    return f"{value} (exclusive)" if bound[1] else str(value)


def numeric_bounds(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    if effect := _tighter(_lower(a), _lower(b)):
        yield "minimum", effect, f"lower bound {_show(_lower(a))} -> {_show(_lower(b))}"
    if effect := _tighter(_upper(a), _upper(b)):
        yield "maximum", effect, f"upper bound {_show(_upper(a), True)} -> {_show(_upper(b), True)}"


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def count_bounds(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    for word in ("minLength", "minItems", "minProperties"):
        old, new = _count(a.get(word)) or 0, _count(b.get(word)) or 0
        if effect := _tighter(old, new):
            yield word, effect, f"{word} {old} -> {new}"
    for word in ("maxLength", "maxItems", "maxProperties"):
        old_max, new_max = _count(a.get(word)), _count(b.get(word))
        keys = [None if v is None else -v for v in (old_max, new_max)]
        if effect := _tighter(keys[0], keys[1]):
            yield word, effect, f"{word} {old_max} -> {new_max}"


def types(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    (ta, na), (tb, nb) = types_of(a), types_of(b)
    if ta != tb:
        show = f"type {sorted(ta) if ta else 'any'} -> {sorted(tb) if tb else 'any'}"
        if ta is None:
            yield "type", N, show
        elif tb is None or ta < tb:
            yield "type", W, show
        else:
            yield "type", N if tb < ta else C, show
    if ta is not None and tb is not None and na != nb:
        yield "nullable", W if nb else N, "now admits null" if nb else "no longer admits null"


def same(x: Any, y: Any) -> bool:
    if x == y and type(x) is type(y):  # the cheap test first: most keywords are unchanged
        return True
    return canonical(x) == canonical(y)


def _presence(word: str, a: dict[str, Any], b: dict[str, Any]) -> Effect | None:
    """Added narrows, removed widens, changed is neither."""
    if same(a.get(word), b.get(word)):
        return None
    if word not in a:
        return N
    return W if word not in b else C


def formats(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    fa, fb = a.get("format"), b.get("format")
    if (effect := _presence("format", a, b)) is not None:
        if (fa, fb) in FORMAT_SUBSETS:
            effect = W
        elif (fb, fa) in FORMAT_SUBSETS:
            effect = N
        yield "format", effect, f"format {fa} -> {fb}"


def simple(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    for word in ("pattern", "const"):
        if (effect := _presence(word, a, b)) is not None:
            yield word, effect, f"{word} {canonical(a.get(word))} -> {canonical(b.get(word))}"
    for word in ("uniqueItems", "readOnly", "writeOnly"):
        old, new = a.get(word) is True, b.get(word) is True
        if old != new:
            yield word, N if new else W, f"{word} {str(old).lower()} -> {str(new).lower()}"
    if not same(a.get("default"), b.get("default")):
        yield (
            "default",
            C,
            f"default {canonical(a.get('default'))} -> {canonical(b.get('default'))}",
        )


def multiple_of(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    ma, mb = _number(a.get("multipleOf")), _number(b.get("multipleOf"))
    if ma == mb:
        return
    detail = f"multipleOf {ma} -> {mb}"
    if ma is None or mb is None:
        yield "multipleOf", N if ma is None else W, detail
        return
    fa, fb = Fraction(str(ma)), Fraction(str(mb))
    if fb and (fa / fb).denominator == 1:  # every multiple of the old is one of the new
        yield "multipleOf", W, detail
    elif fa and (fb / fa).denominator == 1:
        yield "multipleOf", N, detail
    else:
        yield "multipleOf", C, detail


def enums(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    ea, eb = a.get("enum"), b.get("enum")
    if not isinstance(ea, list) and not isinstance(eb, list):
        return
    if not isinstance(ea, list):
        yield "enum-restriction", N, f"now restricted to {canonical(eb)}"
        return
    if not isinstance(eb, list):
        yield "enum-restriction", W, f"no longer restricted to {canonical(ea)}"
        return
    old, new = {canonical(v): v for v in ea}, {canonical(v): v for v in eb}
    if lost := [old[k] for k in old if k not in new]:
        yield "enum", N, f"values removed: {canonical(lost)}"
    if gained := [new[k] for k in new if k not in old]:
        yield "enum", W, f"values added: {canonical(gained)}"


def discriminators(a: dict[str, Any], b: dict[str, Any]) -> Iterator[Delta]:
    da, db = a.get("discriminator"), b.get("discriminator")
    if not isinstance(da, dict) or not isinstance(db, dict):
        if isinstance(da, dict) != isinstance(db, dict):
            yield "discriminator", C, "discriminator added" if db else "discriminator removed"
        return
    if da.get("propertyName") != db.get("propertyName"):
        yield (
            "discriminator",
            C,
            f"propertyName {da.get('propertyName')} -> {db.get('propertyName')}",
        )
    ma, mb = set(as_dict(da.get("mapping"))), set(as_dict(db.get("mapping")))
    if ma - mb:
        yield "discriminator", N, f"mapping values removed: {sorted(ma - mb)}"
    if mb - ma:
        yield "discriminator", W, f"mapping values added: {sorted(mb - ma)}"


KEYWORD_CHECKS: list[Callable[[dict[str, Any], dict[str, Any]], Iterator[Delta]]] = [
    types,
    formats,
    numeric_bounds,
    count_bounds,
    multiple_of,
    enums,
    simple,
    discriminators,
]
