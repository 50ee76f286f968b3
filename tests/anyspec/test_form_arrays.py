"""Array fields of a multipart body, sent the way OpenAPI's form encoding sends them: one part
per item, so a one-item array is a single part holding one plain value."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "anyspec" / "form-arrays.yaml"


async def put(tmp_path: Path, parts: list[tuple[str, str]]) -> int:
    async with mock_client(SPEC, tmp_path) as c:
        files = [(name, (None, value)) for name, value in parts]
        r = await c.put("/upload", files=files)
        return r.status_code


async def test_one_plain_value_for_an_array_field_is_a_one_item_array(tmp_path: Path) -> None:
    assert await put(tmp_path, [("tags", "")]) == 200
    assert await put(tmp_path, [("tags", "red")]) == 200


async def test_repeated_parts_gather_into_one_array(tmp_path: Path) -> None:
    parts = [("tags", "a"), ("tags", "b"), ("sizes", "1"), ("sizes", "2")]
    assert await put(tmp_path, parts) == 200


async def test_the_whole_array_as_one_json_part_is_still_read(tmp_path: Path) -> None:
    assert await put(tmp_path, [("sizes", "[1, 2]")]) == 200


async def test_an_item_of_the_wrong_type_is_a_422_naming_the_field(tmp_path: Path) -> None:
    async with mock_client(SPEC, tmp_path) as c:
        r = await c.put("/upload", files=[("sizes", (None, "1")), ("sizes", (None, "x"))])
    assert r.status_code == 422
    assert "sizes" in r.text


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00\r"), max_size=8)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(TEXT, min_size=1, max_size=4))
async def test_any_strings_as_items_are_accepted(tmp_path: Path, items: list[str]) -> None:
    assert await put(tmp_path, [("tags", i) for i in items]) == 200
