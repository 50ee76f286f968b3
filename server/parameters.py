"""Parse, coerce and validate path, query and header parameters by schema and style.

Rule (applied everywhere): a parameter that cannot be parsed or breaks its schema, a missing
required parameter and an unknown query parameter are all 400 VALIDATION_ERROR, every problem
reported at once with `source.parameter`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus, unquote_to_bytes

from kkcore.errors import BadRequest, Problem
from kkcore.types import ParameterSpec
from server.deepobject import Shaper, insert, key_path
from server.paramcontent import content_coercer
from server.paramstyles import DECODERS, CoercionError, primitive
from server.paramstyles import array as styled_array
from server.paramstyles import pairs as styled_pairs
from server.paramunion import coercer_for
from server.schemas import standalone
from server.validation import CompiledSchema

_INT = re.compile(r"^[+-]?\d+$")
INT_MIN, INT_MAX = -(2**63), 2**64 - 1
Coercer = Callable[[list[str]], Any]


__all__ = ["CoercionError", "ParameterParser", "effective_type", "item_schema", "scalar"]


def effective_type(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> str:
    """The JSON type a raw string should be coerced to (first non-null type found)."""
    if depth > 16:
        return "string"
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return effective_type(defs.get(ref[8:], {}), defs, depth + 1)
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if isinstance(t, str):
        return t
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key) or []:
            found = effective_type(sub, defs, depth + 1)
            if found != "string":
                return found
    if "enum" in schema and schema["enum"] and not isinstance(schema["enum"][0], str):
        return {bool: "boolean", int: "integer", float: "number"}.get(
            type(schema["enum"][0]), "string"
        )
    return "string"


def item_schema(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """An array schema's `items` (through `$ref`s), or {} when it has none."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and depth < 16:
        return item_schema(defs.get(ref[8:], {}), defs, depth + 1)
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def _object(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and depth < 16:
        return _object(defs.get(ref[8:], {}), defs, depth + 1)
    return schema


def scalar(kind: str) -> Callable[[str], Any]:
    def integer(raw: str) -> int:
        if not _INT.match(raw):
            raise CoercionError(f"must be an integer, got {raw!r}")
        value = int(raw)
        if not INT_MIN <= value <= INT_MAX:  # JSON numbers the API can echo back (64-bit)
            raise CoercionError(f"must be a 64-bit integer, got {raw!r}")
        return value

    def number(raw: str) -> float | int:
        if _INT.match(raw):
            return int(raw)
        try:
            value = float(raw)
        except ValueError:
            raise CoercionError(f"must be a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise CoercionError(f"must be a finite number, got {raw!r}")
        return value

    def boolean(raw: str) -> bool:
        if raw in ("true", "false"):
            return raw == "true"
        raise CoercionError(f"must be true or false, got {raw!r}")

    def null(raw: str) -> None:
        if raw in ("", "null"):
            return None
        raise CoercionError(f"must be null, got {raw!r}")

    table: dict[str, Callable[[str], Any]] = {
        "integer": integer,
        "number": number,
        "boolean": boolean,
        "null": null,
    }
    return table.get(kind, str)


def make_coercer(spec: ParameterSpec, defs: dict[str, Any]) -> Coercer:
    """A function from the raw values of one parameter (path and query values still
    percent-encoded: server.paramstyles splits them first) to its typed value."""
    if "content" in spec:
        return content_coercer(spec["content"], DECODERS[spec["location"]])
    kind = effective_type(spec["schema"], defs)
    style, name, explode = spec["style"], spec["name"], spec["explode"]
    decode = DECODERS[spec["location"]]
    if kind == "array":
        item = scalar(effective_type(item_schema(spec["schema"], defs), defs))
        exploded = explode and style == "form"

        def array(values: list[str]) -> list[Any]:
            if exploded:  # `?x=a&x=b`; an empty `x=` adds no item
                return [item(decode(v)) for v in values if v != ""]
            return [item(p) for v in values for p in styled_array(style, explode, name, v, decode)]

        return array
    if kind == "object":
        props = _object(spec["schema"], defs).get("properties") or {}
        kinds = {k: scalar(effective_type(v, defs)) for k, v in props.items()}

        def obj(values: list[str]) -> dict[str, Any]:
            found = styled_pairs(style, explode, name, values[-1], decode)
            return {k: _loosely(kinds.get(k), v) for k, v in found}

        return obj
    one = scalar(kind)

    def single(values: list[str]) -> Any:
        if len(values) > 1:
            raise CoercionError(f"must be given once, got {len(values)} values")
        return one(primitive(style, name, values[0], decode))

    return single


def _loosely(coerce: Callable[[str], Any] | None, raw: str) -> Any:
    """A property's typed value, or its text when it is not of its type (the validator names
    what is wrong)."""
    if coerce is None:
        return raw
    try:
        return coerce(raw)
    except CoercionError:
        return raw


_NO_DEFAULT = object()
CACHE_SIZE = 1024


def _fresh(parsed: dict[str, Any]) -> dict[str, Any]:
    """A copy a handler may change without touching the cached parse."""
    return {
        k: list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
        for k, v in parsed.items()
    }


class _Param:
    __slots__ = (
        "spec",
        "name",
        "key",
        "coerce",
        "validator",
        "deep",
        "where",
        "required",
        "default",
        "loose",
        "shape",
    )

    def __init__(self, spec: ParameterSpec, defs: dict[str, Any]) -> None:
        self.spec = spec
        self.name = spec["name"]
        self.where = spec["location"].capitalize()
        self.required = spec["required"]
        self.default = spec["schema"].get("default", _NO_DEFAULT)
        self.key = self.name.lower() if spec["location"] == "header" else self.name
        self.deep = spec["style"] == "deepObject"
        self.shape = Shaper(lambda s: effective_type(s, defs), lambda s: _object(s, defs), scalar)
        self.validator = CompiledSchema(standalone(spec["schema"], defs))
        self.coerce = coercer_for(spec, defs, make_coercer, effective_type, self.validator.is_valid)
        # An exploded form object (`?a=1&b=2` is {a, b}): its properties are the query's
        # other names, each coerced to its property's type.
        self.loose: dict[str, Callable[[str], Any]] | None = None
        if (
            spec["location"] == "query"
            and spec["style"] == "form"
            and spec["explode"]
            and effective_type(spec["schema"], defs) == "object"
        ):
            props = _object(spec["schema"], defs).get("properties") or {}
            self.loose = {k: scalar(effective_type(v, defs)) for k, v in props.items()}

    def gather(self, pairs: dict[str, str]) -> dict[str, Any]:
        """The exploded object of the query's otherwise unknown names."""
        kinds = self.loose or {}
        out: dict[str, Any] = {}
        for key, raw in pairs.items():
            try:
                out[key] = kinds[key](raw) if key in kinds else raw
            except CoercionError:
                out[key] = raw  # the validator names what is wrong
        return out


class ParameterParser:
    """Built once per operation; `parse()` returns `{name: value}` or raises BadRequest."""

    __slots__ = (
        "path",
        "query",
        "headers",
        "header_names",
        "query_names",
        "deep_names",
        "loose",
        "_cache",
        "nul",
    )

    def __init__(
        self,
        specs: list[ParameterSpec],
        defs: dict[str, Any],
        *,
        refuse_nul: bool = True,
        credentials: frozenset[str] = frozenset(),
    ) -> None:
        """`credentials`: query names of the operation's API-key schemes (never "unknown")."""
        self.nul = refuse_nul
        params = [_Param(s, defs) for s in specs if s["location"] != "cookie"]
        self.path = [p for p in params if p.spec["location"] == "path"]
        self.query = [p for p in params if p.spec["location"] == "query"]
        self.headers = [p for p in params if p.spec["location"] == "header"]
        self.query_names = frozenset(p.name for p in self.query if not p.deep) | credentials
        self.deep_names = tuple(p.name for p in self.query if p.deep)
        self.loose = next((p for p in self.query if p.loose is not None), None)
        self.header_names = tuple(p.key.encode("latin-1") for p in self.headers)
        # Frontends, SDK suites and fuzzers repeat the same parameters: parse each once.
        self._cache: dict[tuple[Any, ...], dict[str, Any]] = {}

    def parse(
        self,
        path_params: dict[str, str],
        query_string: bytes,
        raw_headers: list[tuple[bytes, bytes]],
    ) -> dict[str, Any]:
        headers: tuple[bytes | None, ...] = ()
        if self.headers:
            found: dict[bytes, list[bytes]] = {}
            for k, v in raw_headers:  # ASGI header names arrive lower-cased
                if k in self.header_names:
                    found.setdefault(k, []).append(v)
            headers = tuple(b", ".join(found[n]) if n in found else None for n in self.header_names)
        key = (tuple(path_params.values()), query_string, headers)
        cached = self._cache.get(key)
        if cached is not None:
            return _fresh(cached)
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        for p in self.path:
            self._take(p, [path_params[p.name]] if p.name in path_params else [], out, problems)
        if self.query or query_string:
            self._parse_query(query_string, out, problems)
        for p, raw in zip(self.headers, headers, strict=True):
            self._take(p, [raw.decode("latin-1")] if raw is not None else [], out, problems)
        if problems:
            raise BadRequest(problems=problems)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = out
        return _fresh(out)

    def _parse_query(
        self, query_string: bytes, out: dict[str, Any], problems: list[Problem]
    ) -> None:
        try:
            text = query_string.decode("ascii")
            unquote_to_bytes(text.replace("+", " ")).decode("utf-8")
            # Values stay percent-encoded until their style has split them (paramstyles).
            raw = [(unquote_plus(k, errors="strict"), v) for k, _, v in _fields(text)]
        except UnicodeDecodeError:
            problems.append(Problem("The query string is not valid UTF-8", parameter=""))
            return
        grouped: dict[str, list[str]] = {}
        deep: dict[str, dict[str, Any]] = {}
        broken: dict[str, str] = {}
        loose: dict[str, str] = {}
        for key, value in raw:
            if key in self.query_names:
                grouped.setdefault(key, []).append(value)
                continue
            owner, path = next(
                ((n, k) for n in self.deep_names if (k := key_path(n, key)) is not None),
                (None, None),
            )
            if owner is not None and path is not None:
                try:
                    decoded = DECODERS["query"](value)
                    if self.nul and "\x00" in key + decoded:
                        raise CoercionError("may not contain the NUL character (U+0000)")
                    insert(deep.setdefault(owner, {}), path, decoded)
                except CoercionError as e:
                    broken[owner] = str(e)
            elif self.loose is not None:
                loose[key] = DECODERS["query"](value)
            else:
                problems.append(Problem(f"Unknown query parameter {key!r}", parameter=key))
        for p in self.query:
            if p is self.loose and p.name not in grouped:
                if loose:
                    self._check(p, p.gather(loose), out, problems)
                elif p.required:
                    problems.append(
                        Problem(f"Query parameter {p.name!r} is required", parameter=p.name)
                    )
            elif p.deep:
                self._deep(p, deep.get(p.name), broken.get(p.name), out, problems)
            else:
                self._take(p, grouped.get(p.name, []), out, problems)

    def _deep(
        self,
        p: _Param,
        tree: dict[str, Any] | None,
        broken: str | None,
        out: dict[str, Any],
        problems: list[Problem],
    ) -> None:
        if broken is not None:
            problems.append(Problem(f"Query parameter {p.name!r} {broken}", parameter=p.name))
        elif tree is not None:
            self._check(p, p.shape(tree, p.spec["schema"]), out, problems)
        elif p.required:
            problems.append(Problem(f"Query parameter {p.name!r} is required", parameter=p.name))

    def _take(
        self, p: _Param, values: list[str], out: dict[str, Any], problems: list[Problem]
    ) -> None:
        where = p.where
        if not values:
            if p.required:
                problems.append(
                    Problem(f"{where} parameter {p.name!r} is required", parameter=p.name)
                )
            elif p.default is not _NO_DEFAULT:
                out[p.name] = p.default
            return
        # as in bodies (server.bodies.refuse_nul); `%00` is a NUL once decoded
        if self.nul and any("\x00" in v or "%00" in v for v in values):
            problems.append(Problem(_nul(p), parameter=p.name))
            return
        try:
            value = p.coerce(values)
        except CoercionError as e:
            problems.append(Problem(f"{where} parameter {p.name!r} {e}", parameter=p.name))
            return
        self._check(p, value, out, problems)

    @staticmethod
    def _check(p: _Param, value: Any, out: dict[str, Any], problems: list[Problem]) -> None:
        if p.validator.is_valid(value):
            out[p.name] = value
            return
        where = p.where
        for problem in p.validator.problems(value, parameter=p.name):
            problems.append(
                Problem(
                    f"{where} parameter {p.name!r}: {problem.detail}",
                    parameter=p.name,
                    meta={**problem.meta, "field": p.name},
                )
            )


def _nul(p: _Param) -> str:
    return f"{p.where} parameter {p.name!r} may not contain the NUL character (U+0000)"


def _fields(text: str) -> list[tuple[str, str, str]]:
    """`a=1&b&c=` → key, `=`, value triples; values are kept as they were sent."""
    return [field.partition("=") for field in text.split("&") if field]
