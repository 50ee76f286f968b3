"""Path parameters in `label` and `matrix` style, read as OpenAPI's style table writes them
(the `color` examples of the specification's "Style Examples")."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkcore.errors import BadRequest
from kkcore.types import ParameterSpec
from server.parameters import ParameterParser

SCHEMAS: dict[str, dict[str, Any]] = {
    "primitive": {"type": "string"},
    "array": {"type": "array", "items": {"type": "string"}},
    "object": {"type": "object", "additionalProperties": {"type": "string"}},
}
BLUE, LIST = "blue", ["blue", "black", "brown"]
RGB = {"R": "100", "G": "200", "B": "150"}
TABLE = [
    ("label", False, "primitive", ".blue", BLUE),
    ("label", True, "primitive", ".blue", BLUE),
    ("label", False, "array", ".blue,black,brown", LIST),
    ("label", True, "array", ".blue.black.brown", LIST),
    ("label", False, "object", ".R,100,G,200,B,150", RGB),
    ("label", True, "object", ".R=100.G=200.B=150", RGB),
    ("matrix", False, "primitive", ";color=blue", BLUE),
    ("matrix", True, "primitive", ";color=blue", BLUE),
    ("matrix", False, "array", ";color=blue,black,brown", LIST),
    ("matrix", True, "array", ";color=blue;color=black;color=brown", LIST),
    ("matrix", False, "object", ";color=R,100,G,200,B,150", RGB),
    ("matrix", True, "object", ";R=100;G=200;B=150", RGB),
    ("label", False, "array", ".", []),
    ("matrix", False, "object", ";color", {}),
    ("simple", False, "object", "", {}),
    ("simple", True, "object", "", {}),
]


def parser(style: str, explode: bool, kind: str) -> ParameterParser:
    spec: ParameterSpec = {
        "name": "color",
        "location": "path",
        "required": True,
        "style": style,
        "explode": explode,
        "schema": SCHEMAS[kind],
    }
    return ParameterParser([spec], {})


@pytest.mark.parametrize(("style", "explode", "kind", "raw", "value"), TABLE)
def test_each_style_reads_the_form_the_openapi_table_gives(
    style: str, explode: bool, kind: str, raw: str, value: Any
) -> None:
    assert parser(style, explode, kind).parse({"color": raw}, b"", []) == {"color": value}


@pytest.mark.parametrize(
    ("style", "raw"), [("label", "blue"), ("matrix", "blue"), ("matrix", ";size=blue")]
)
def test_a_value_without_its_style_prefix_is_a_400_naming_the_parameter(
    style: str, raw: str
) -> None:
    with pytest.raises(BadRequest, match="color"):
        parser(style, False, "primitive").parse({"color": raw}, b"", [])


@given(st.lists(st.text(st.characters(exclude_characters=",.;=\x00"), min_size=1), max_size=5))
def test_any_array_written_in_label_or_matrix_style_reads_back(items: list[str]) -> None:
    label = "." + ".".join(items)
    matrix = "".join(f";color={i}" for i in items)
    assert parser("label", True, "array").parse({"color": label}, b"", [])["color"] == items
    assert parser("matrix", True, "array").parse({"color": matrix}, b"", [])["color"] == items
