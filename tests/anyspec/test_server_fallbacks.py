"""An operation with path-item or operation `servers` of its own answers at its own base, and
also under the document's first server where clients that ignore those servers call it
(Schemathesis does; Prism serves every path without any base) -- unless a route of the
document already answers that method and path there."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkcore.loader import load_document
from kkcore.table import build_table
from tests.anyspec.conftest import mock_client

pytestmark = pytest.mark.anyio
SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "anyspec" / "server-fallbacks.yaml"


async def who(tmp_path: Path, path: str) -> str | int:
    async with mock_client(SPEC, tmp_path) as c:
        r = await c.get(path)
    return str(r.json()["who"]) if r.status_code == 200 else r.status_code


async def test_an_operation_with_its_own_server_answers_at_its_own_base(tmp_path: Path) -> None:
    assert await who(tmp_path, "/v3/own") == "own"


async def test_it_also_answers_under_the_documents_first_server(tmp_path: Path) -> None:
    assert await who(tmp_path, "/v2/own") == "own"


async def test_a_route_of_the_document_keeps_its_path_over_a_fallback(tmp_path: Path) -> None:
    assert await who(tmp_path, "/v2/clash") == "v2"
    assert await who(tmp_path, "/v3/clash") == "v3"


async def test_nothing_else_answers_under_other_bases(tmp_path: Path) -> None:
    assert await who(tmp_path, "/v4/own") == 404


def test_only_kk_mock_asks_for_fallbacks_the_generated_flagship_table_has_none() -> None:
    table = build_table(load_document(SPEC))
    assert all("fallback_path" not in op for op in table["operations"].values())
    with_fallbacks = build_table(load_document(SPEC), server_fallbacks=True)
    assert with_fallbacks["operations"]["own"]["fallback_path"] == "/v2/own"
