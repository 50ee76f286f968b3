"""allOf members merged into one schema; what cannot be merged is kept aside as checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import orjson

from mocks.fake.regex import pattern
from mocks.fake.schema import ANNOTATIONS, FIRST_WINS, PRIVATE_CHECKS, PRIVATE_GROUPS

_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
_SUBSCHEMA_ONE = ("items", "additionalProperties", "propertyNames", "unevaluatedProperties")


def _same(a: Any, b: Any) -> bool:
    return bool(
        orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(b, option=orjson.OPT_SORT_KEYS)
    )


def fraction(number: Any) -> Fraction:
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def _lcm(a: Any, b: Any) -> int | float:
    x, y = fraction(a), fraction(b)
    both = Fraction(math.lcm(x.numerator, y.numerator), math.gcd(x.denominator, y.denominator))
    return int(both) if both.denominator == 1 else float(both)


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:  # noqa: C901
    """`a` and `b` as one schema (allOf); what cannot be merged is kept aside as checks."""
    out = dict(a)
    b = dict(b)
    if "if" in a and "if" in b:
        triple = {k: b.pop(k) for k in ("if", "then", "else") if k in b}
        out[PRIVATE_CHECKS] = [*out.get(PRIVATE_CHECKS, []), triple]
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
            out[PRIVATE_GROUPS] = [*out.get(PRIVATE_GROUPS, []), {key: value}]
        elif key in (PRIVATE_GROUPS, PRIVATE_CHECKS):
            out[key] = [*have, *value]
        elif key in FIRST_WINS or key in ANNOTATIONS or key.startswith("x-") or _same(have, value):
            pass
        else:
            out[PRIVATE_CHECKS] = [*out.get(PRIVATE_CHECKS, []), {key: value}]
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
