"""`kk mock` filters the flagship directory by `verified` as `kk sandbox` does: the query's
text against the boolean attribute, and x-filter's `unfiltered` value (`any`) lists all."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from kkapp.factory import AppConfig, build
from tests.engine import client

pytestmark = pytest.mark.anyio


@functools.cache
def flagship() -> Any:
    """The mock app the module's tests share, built on first use rather than at import (every
    pytest-xdist worker imports every module, whether it runs these tests or not)."""
    return build(AppConfig("mock")).app


async def listed(verified: str | None) -> list[dict[str, object]]:
    params: dict[str, object] = {"limit": 100}
    if verified is not None:
        params["verified"] = verified
    async with client(flagship()) as c:
        await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
        r = await c.get("/v1/practitioners", params=params)
    assert r.status_code == 200, r.text
    data: list[dict[str, object]] = r.json()["data"]
    return data


async def test_the_mock_lists_by_verification_and_any_lists_everyone() -> None:
    yes, no, anyone = await listed("true"), await listed("false"), await listed("any")
    assert yes and all(p["attributes"]["verified"] is True for p in yes)  # type: ignore[index]
    assert {p["id"] for p in no} >= {"prac_applicant", "prac_pending"}
    assert all(p["attributes"]["verified"] is False for p in no)  # type: ignore[index]
    assert len(anyone) == len(yes) + len(no)
