"""Apps built the way `kk mock --spec FILE` builds them, for tests of foreign specs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kkapp.config import AppConfig
from kkapp.factory import build

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "anyspec" / "openapi.yaml"


def mock_client(spec: Path | str, tmp_path: Path, *, auth: bool = True) -> httpx.AsyncClient:
    config = AppConfig("mock", spec=str(spec), data_dir=str(tmp_path), check_credentials=auth)
    app = build(config).app
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock")


@pytest.fixture
async def anyspec(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with mock_client(FIXTURE, tmp_path) as c:
        yield c


def with_known_failures(names: list[str], known: dict[str, str]) -> list[Any]:
    """`names` as parameters, those in `known` strict xfails with their reason: a document that
    starts passing must leave the list."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(reason=known[n], strict=True)) if n in known else n
        for n in names
    ]
