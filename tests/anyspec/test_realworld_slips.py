"""Slips of real-world documents that have one obvious meaning are mended with a warning
(kkcore/repair.py), JSON documents are read by a JSON parser (a byte-order mark skipped), and
the slow lint of huge documents is skipped, so they start in seconds, not minutes."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kkcore import loader
from kkcore.errors import SpecError
from kkcore.loader import load_document, parse
from kkcore.normalize import to_json_schema
from kkcore.repair import repair
from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
SLIPS = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "slips.yaml"


def test_the_slips_are_mended_with_one_warning_each(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "kk.spec"):
        doc = load_document(SLIPS)
    item = doc["components"]["schemas"]["Item"]["properties"]
    assert item["country"]["enum"] == ["GBR", "USA", "FRA"]
    assert item["metadata"]["anyOf"][2] == {"nullable": True, "enum": [None]}
    post = doc["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"]
    assert post["schema"] == {}
    assert sum("schema: null" in r.message for r in caplog.records) == 1
    assert sum("enum listing a value twice" in r.message for r in caplog.records) == 1


async def test_a_content_query_parameter_is_decoded_as_its_media_type(tmp_path: Path) -> None:
    async with mock_client(SLIPS, tmp_path, auth=False) as c:
        assert (await c.get("/items", params={"filter": '{"title": "a"}'})).status_code == 200
        wrong = await c.get("/items", params={"filter": '{"size": 3}'})
        assert wrong.status_code == 400, wrong.text
        broken = await c.get("/items", params={"filter": "{title"})
        assert broken.status_code == 400
        assert "not valid JSON" in broken.text


async def test_an_item_with_a_null_metadata_is_a_valid_answer(tmp_path: Path) -> None:
    async with mock_client(SLIPS, tmp_path, auth=False) as c:
        answer = await c.post("/items", json={"country": "GBR", "metadata": None})
        assert answer.status_code == 200, answer.text


def test_a_json_document_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    doc = load_document(SLIPS)
    spec = tmp_path / "openapi.json"
    spec.write_bytes(b"\xef\xbb\xbf" + orjson.dumps(doc))
    assert load_document(spec)["info"] == doc["info"]


TEXT = st.text(max_size=8)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(TEXT, JSON, max_size=4))
def test_json_text_parses_to_the_same_value_with_or_without_a_byte_order_mark(
    value: dict[str, Any],
) -> None:
    text = orjson.dumps(value).decode()
    assert parse(text) == value
    assert parse("\ufeff" + text) == value


def test_repair_leaves_examples_defaults_and_enums_as_data() -> None:
    schema = {
        "type": "object",
        "example": {"type": "null", "schema": None, "enum": [1, 1]},
        "default": {"type": "null"},
    }
    doc = {"openapi": "3.0.3", "components": {"schemas": {"S": schema}}}
    assert repair(orjson.loads(orjson.dumps(doc)), "x") == doc


def test_a_huge_document_skips_the_lint_but_not_the_meta_schema(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(loader, "LINT_MAX_BYTES", 100)
    with caplog.at_level(logging.INFO, "kk.spec"):
        load_document(SLIPS)
    assert any("lint of defaults and examples is skipped" in r.message for r in caplog.records)
    broken = SLIPS.read_text().replace('version: "1"', "")
    with pytest.raises(loader.SpecError, match="invalid OpenAPI at /info"):
        loader.validate(parse(broken), "broken")


NULLABLE_ONE_OF = {
    "nullable": True,
    "oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Folder"}],
}
FOLDER = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}


@given(st.none() | st.text(max_size=5) | st.integers() | st.fixed_dictionaries({"id": TEXT}))
def test_nullable_beside_one_of_and_no_type_also_takes_null(value: Any) -> None:
    schema = to_json_schema(NULLABLE_ONE_OF, openapi30=True)
    check = jsonschema_rs.validator_for({**schema, "$defs": {"Folder": FOLDER}})
    fits = isinstance(value, (str, dict))
    assert check.is_valid(value) is (value is None or fits)


def test_an_unquoted_response_code_in_yaml_is_a_string_key(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
        "paths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n"
    )
    assert load_document(spec)["paths"]["/a"]["get"]["responses"] == {"200": {"description": "ok"}}


# YAML refuses control characters and lone surrogates anywhere: printable text only
PRINTABLE = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8)


KEYS = st.integers(-(2**63), 2**63 - 1) | st.booleans() | st.none() | PRINTABLE


@given(st.dictionaries(KEYS, PRINTABLE, max_size=6))
def test_yaml_mapping_keys_read_as_their_json_text(value: dict[Any, str]) -> None:
    text = "\n".join(
        f"{orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}" for k, v in value.items()
    )
    expected = {k if isinstance(k, str) else orjson.dumps(k).decode(): v for k, v in value.items()}
    assert parse(text or "{}") == expected


@pytest.mark.parametrize("version", ["3.1", "3.0"])
def test_an_unquoted_version_number_is_refused_with_a_clear_error(
    tmp_path: Path, version: str
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(f"openapi: {version}\ninfo: {{title: T, version: '1'}}\npaths: {{}}\n")
    with pytest.raises(SpecError, match="must be a string such as"):
        load_document(spec)
