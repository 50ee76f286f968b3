"""Any value, written in any style OpenAPI allows for its location (RFC 6570 expansions as
OpenAPI 3.x defines them: each value percent-encoded, the style's delimiters literal), reads
back as the same value, delimiters and non-ASCII text inside values included.

The exceptions are the ambiguities of the styles themselves (server.paramstyles): `.` is
unreserved, so label-exploded items and keys cannot hold it; a space is spaceDelimited's
delimiter; a one-item list whose item holds its delimiter reads like a list encoded whole.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from kkcore.types import ParameterLocation, ParameterSpec
from server.parameters import ParameterParser

NAME = "color"
SCHEMAS: dict[str, dict[str, Any]] = {
    "primitive": {"type": "string"},
    "array": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "additionalProperties": {"type": "string"}},
}
# Every character but NUL (refused) and lone surrogates, weighted towards the delimiters.
TEXT = st.text(
    st.one_of(st.sampled_from(",.;=|%+&[] /?#"), st.characters(exclude_categories=("Cs",))).filter(
        lambda c: c != "\x00"
    ),
    max_size=8,
)
PREFIX = {"label": (".", "."), "matrix": (";", ";")}
LIST_SEPARATOR = {"pipeDelimited": "|", "spaceDelimited": "%20"}
FORBIDDEN = {("label", True): ".", ("spaceDelimited", False): " "}


def enc(text: str) -> str:
    return quote(text, safe="")


def encode(style: str, explode: bool, kind: str, value: Any) -> str:
    if kind == "primitive":
        return {"label": ".", "matrix": f";{NAME}="}.get(style, "") + enc(value)
    items = [enc(v) for v in value] if kind == "array" else []
    if kind == "object":
        pairs = [(enc(k), enc(v)) for k, v in value.items()]
        items = [f"{k}={v}" for k, v in pairs] if explode else [x for kv in pairs for x in kv]
    if not items:
        return ""
    if style == "label":
        return "." + ("." if explode else ",").join(items)
    if style == "matrix":
        if kind == "object" and explode:
            return ";" + ";".join(items)
        return f";{NAME}=" + (f";{NAME}=" if explode else ",").join(items)
    return LIST_SEPARATOR.get(style, ",").join(items)


def parser(location: ParameterLocation, style: str, explode: bool, kind: str) -> ParameterParser:
    spec: ParameterSpec = {
        "name": NAME,
        "location": location,
        "required": False,
        "style": style,
        "explode": explode,
        "schema": SCHEMAS[kind],
    }
    return ParameterParser([spec], {})


def values(style: str, explode: bool, kind: str, text: st.SearchStrategy[str] = TEXT) -> Any:
    bad = FORBIDDEN.get((style, explode), "")
    allowed = text.filter(lambda t: not bad or bad not in t)
    if kind == "primitive":
        return text
    if kind == "object":
        return st.dictionaries(allowed, text if style != "spaceDelimited" else allowed, max_size=4)
    delimiter = {"pipeDelimited": "|", "label": "." if explode else ","}.get(style, ",")
    items = st.lists(allowed.filter(bool), max_size=5)
    return items.filter(lambda xs: len(xs) != 1 or delimiter not in xs[0])


PATH = [(s, e, k) for s in ("simple", "label", "matrix") for e in (False, True) for k in SCHEMAS]
QUERY = [
    ("form", False, "primitive"),
    ("form", False, "array"),
    ("form", False, "object"),
    ("pipeDelimited", False, "array"),
    ("pipeDelimited", False, "object"),
    ("spaceDelimited", False, "array"),
    ("spaceDelimited", False, "object"),
]


@given(st.sampled_from(PATH).flatmap(lambda c: st.tuples(st.just(c), values(*c))))
def test_any_path_value_in_any_path_style_reads_back(
    case: tuple[tuple[str, bool, str], Any],
) -> None:
    (style, explode, kind), value = case
    raw = encode(style, explode, kind, value)
    parsed = parser("path", style, explode, kind).parse({NAME: raw}, b"", [])
    assert parsed == {NAME: value}


@given(st.sampled_from(QUERY).flatmap(lambda c: st.tuples(st.just(c), values(*c))))
def test_any_query_value_in_any_query_style_reads_back(
    case: tuple[tuple[str, bool, str], Any],
) -> None:
    (style, explode, kind), value = case
    query = f"{NAME}={encode(style, explode, kind, value)}".encode()
    assert parser("query", style, explode, kind).parse({}, query, []) == {NAME: value}


@given(values("form", True, "array"))
def test_an_exploded_form_array_reads_back_from_repeated_names(items: list[str]) -> None:
    query = "&".join(f"{NAME}={enc(v)}" for v in items).encode()
    expected = {NAME: items} if items else {}
    assert parser("query", "form", True, "array").parse({}, query, []) == expected


DEEP_KEYS = TEXT.filter(lambda t: "[" not in t and "]" not in t)


@given(st.dictionaries(DEEP_KEYS, TEXT, min_size=1, max_size=4))
def test_a_deep_object_reads_back_whatever_its_keys_and_values_hold(value: dict[str, str]) -> None:
    query = "&".join(f"{enc(f'{NAME}[{k}]')}={enc(v)}" for k, v in value.items()).encode()
    assert parser("query", "deepObject", True, "object").parse({}, query, []) == {NAME: value}


# Header values are not percent-encoded: visible ASCII without the simple style's delimiters.
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=",=")
)


@given(
    st.sampled_from([(e, k) for e in (False, True) for k in SCHEMAS]).flatmap(
        lambda c: st.tuples(st.just(c), values("simple", c[0], c[1], HEADER_TEXT))
    )
)
def test_any_header_value_in_simple_style_reads_back(case: tuple[tuple[bool, str], Any]) -> None:
    (explode, kind), value = case
    if kind == "primitive":
        raw = value
    elif kind == "array":
        raw = ",".join(value)
    else:
        raw = ",".join(f"{k}={v}" if explode else f"{k},{v}" for k, v in value.items())
    parsed = parser("header", "simple", explode, kind).parse(
        {}, b"", [(NAME.encode(), raw.encode())]
    )
    assert parsed == {NAME: value}
