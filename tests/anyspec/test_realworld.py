"""Real-world specs (tests/fixtures/realworld, MIT) start under `kk mock` and every operation
without path parameters answers one of its documented statuses (the Schemathesis run of
bench/anyspec.py passes on both; this is its fast, in-process part)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkcore.loader import load_document
from kkcore.table import build_table
from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
HERE = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"


@pytest.mark.parametrize("name", ["museum.yaml", "kratos-realworld.yaml", "blockfrost.yaml"])
async def test_a_real_world_spec_answers_its_reads_with_documented_statuses(
    name: str, tmp_path: Path
) -> None:
    table = build_table(load_document(HERE / name))
    reads = [
        op
        for op in table["operations"].values()
        if op["method"] == "GET"
        and not any(p["location"] == "path" or p["required"] for p in op["parameters"])
    ]
    assert reads
    async with mock_client(HERE / name, tmp_path, auth=False) as c:
        for op in reads:
            answer = await c.get(op["path"])
            assert str(answer.status_code) in op["responses"], (op["path"], answer.text[:300])
