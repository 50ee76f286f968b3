"""Styled parameters through the whole app, as a client sends them: a delimiter escaped
inside a value stays text of that value (the router keeps the path as sent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "anyspec" / "param-styles.yaml"


async def status(tmp_path: Path, url: str) -> int:
    async with mock_client(SPEC, tmp_path) as c:
        return (await c.get(url)).status_code


@pytest.mark.parametrize(
    "url",
    [
        "/label/.a%2Eb",  # one item, `a.b`
        "/matrix/;point=x%3By%3D1",
        "/simple/a%2Cb,c",  # two items, the first `a,b`
        "/simple/a%2Fb",  # an escaped slash is not a path separator
        "/query?pipes=a%7Cb|c",
        "/query?rgb=R,100,G,200",
        "/query?filter[size][min]=3",
    ],
)
async def test_an_escaped_delimiter_inside_a_value_stays_in_that_value(
    tmp_path: Path, url: str
) -> None:
    assert await status(tmp_path, url) == 200


@pytest.mark.parametrize(
    "url",
    ["/label/.a.b", "/simple/a,b,c", "/query?pipes=a|b|c", "/query?filter[size][min]=x"],
)
async def test_literal_delimiters_still_split_and_what_breaks_the_schema_is_a_400(
    tmp_path: Path, url: str
) -> None:
    assert await status(tmp_path, url) == 400


async def test_a_list_encoded_whole_still_splits_at_its_escaped_commas(tmp_path: Path) -> None:
    assert await status(tmp_path, "/simple/c%2Cc") == 200  # encodeURIComponent("c,c")
