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
from urllib.parse import parse_qsl

import orjson

from kkcore.errors import BadRequest, Problem
from kkcore.types import ParameterSpec
from server.paramstyles import PREFIXED, CoercionError, pieces
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
    """A function from the raw string values of one parameter to its typed value."""
    if "content" in spec:
        return _content_coercer(spec["content"])
    kind = effective_type(spec["schema"], defs)
    style, name = spec["style"], spec["name"]
    if kind == "array":
        item = scalar(effective_type(item_schema(spec["schema"], defs), defs))
        delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        exploded = spec["explode"] and style == "form"

        def array(values: list[str]) -> list[Any]:
            if style in PREFIXED:
                return [item(p) for p in pieces(style, spec["explode"], name, kind, values[-1])]
            parts = values if exploded else [p for v in values for p in v.split(delimiter)]
            return [item(p) for p in parts if p != "" or not exploded]

        return array
    if kind == "object":
        return _object_coercer(spec)
    one = scalar(kind)

    def single(values: list[str]) -> Any:
        if len(values) > 1:
            raise CoercionError(f"must be given once, got {len(values)} values")
        if style in PREFIXED:
            return one(pieces(style, spec["explode"], name, kind, values[0])[0])
        return one(values[0])

    return single


def _content_coercer(media: str) -> Coercer:
    """A `content` parameter: its one value in that media type (JSON decoded, else text)."""
    json = media.split(";")[0].strip().lower().endswith(("/json", "+json"))

    def decode(values: list[str]) -> Any:
        if len(values) > 1:
            raise CoercionError(f"must be given once, got {len(values)} values")
        if not json:
            return values[0]
        try:
            return orjson.loads(values[0])
        except orjson.JSONDecodeError as e:
            raise CoercionError(f"is not valid JSON ({media}): {e}") from e

    return decode


def _object_coercer(spec: ParameterSpec) -> Coercer:
    style, name, explode = spec["style"], spec["name"], spec["explode"]

    def obj(values: list[str]) -> dict[str, str]:
        raw = values[-1]
        if style in PREFIXED:
            parts = pieces(style, explode, name, "object", raw)
        else:
            parts = raw.split(",") if raw else []  # "" is the empty object
        if explode and style in ("simple", *PREFIXED):  # exploded: `R=100,G=200`
            if not all("=" in p for p in parts):
                raise CoercionError("must be a list of key=value pairs")
            return dict(p.split("=", 1) for p in parts)
        if len(parts) % 2:
            raise CoercionError("must be a comma-separated list of key,value pairs")
        return dict(zip(parts[::2], parts[1::2], strict=True))

    return obj


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
    )

    def __init__(self, spec: ParameterSpec, defs: dict[str, Any]) -> None:
        self.spec = spec
        self.name = spec["name"]
        self.where = spec["location"].capitalize()
        self.required = spec["required"]
        self.default = spec["schema"].get("default", _NO_DEFAULT)
        self.key = self.name.lower() if spec["location"] == "header" else self.name
        self.deep = spec["style"] == "deepObject"
        self.coerce = make_coercer(spec, defs)
        self.validator = CompiledSchema(standalone(spec["schema"], defs))
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
            pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            problems.append(Problem("The query string is not valid UTF-8", parameter=""))
            return
        grouped: dict[str, list[str]] = {}
        deep: dict[str, dict[str, str]] = {}
        loose: dict[str, str] = {}
        for key, value in pairs:
            if key in self.query_names:
                grouped.setdefault(key, []).append(value)
                continue
            owner = next(
                (n for n in self.deep_names if key.startswith(n + "[") and key[-1] == "]"), None
            )
            if owner is not None:
                deep.setdefault(owner, {})[key[len(owner) + 1 : -1]] = value
            elif self.loose is not None:
                loose[key] = value
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
                if p.name in deep:
                    self._check(p, deep[p.name], out, problems)
                elif p.spec["required"]:
                    problems.append(
                        Problem(f"Query parameter {p.name!r} is required", parameter=p.name)
                    )
            else:
                self._take(p, grouped.get(p.name, []), out, problems)

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
        if self.nul and any("\x00" in v for v in values):  # as in bodies (server.bodies.refuse_nul)
            problems.append(
                Problem(
                    f"{where} parameter {p.name!r} may not contain the NUL character (U+0000)",
                    parameter=p.name,
                )
            )
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
