from __future__ import annotations

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from handlers.domain.context import domain_of
from handlers.storage import seed
from handlers.storage.models import User
from kkapp.config import AppConfig
from kkapp.factory import build
from tests.engine import client
from tests.handlers.conftest import sandbox_app

pytestmark = pytest.mark.anyio


async def users_in(built: object) -> int:
    domain = domain_of(built.runtime.extras)  # type: ignore[attr-defined]
    await domain.ready()
    async with domain.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


def test_a_sandbox_app_opens_its_database_at_startup_and_closes_it_at_shutdown(
    tmp_path: object,
) -> None:
    built = sandbox_app(str(tmp_path))
    domain = domain_of(built.runtime.extras)
    assert not domain._ready
    with TestClient(built.app) as c:
        assert domain._ready
        assert c.get("/healthz").status_code == 200
    assert (tmp_path / "klearkarma.db").exists()  # type: ignore[operator]


def test_the_app_lifespan_owns_the_connection_pool_of_its_loop(tmp_path: object) -> None:
    built = sandbox_app(str(tmp_path))
    db = domain_of(built.runtime.extras).db
    headers = {"Authorization": "Bearer kk_test_sandbox_key_for_local_development_only"}

    async def pooled() -> bool:
        return db.pooled  # asked on the loop that serves the app

    with TestClient(built.app) as c:
        assert c.portal is not None and c.portal.call(pooled)
        assert c.get("/v1/practitioners/prac_123", headers=headers).status_code == 200
    assert not db.has_pool  # disposed at shutdown


async def test_the_sandbox_seed_loads_the_test_users_once(tmp_path: object) -> None:
    built = sandbox_app(str(tmp_path))
    assert await users_in(built) >= 1
    domain = domain_of(built.runtime.extras)
    plan = seed.plan(domain.spec_files["openapi"])
    assert await seed.load(domain.db, plan) == 0  # idempotent
    async with domain.db.session() as session:
        assert await session.get(User, "test_user_123") is not None


async def test_a_sandbox_reset_restores_the_seed_in_the_database(tmp_path: object) -> None:
    built = sandbox_app(str(tmp_path))
    domain = domain_of(built.runtime.extras)
    try:
        before = await users_in(built)
        async with domain.db.transaction() as session:
            session.add(User(id="user_extra", email="x@example.org", first_name="X", last_name="Y"))
        assert await users_in(built) == before + 1
        async with client(built.app) as c:
            assert (
                await c.post("/__sandbox/reset", headers={"X-KK-Sandbox-Reset": "1"})
            ).status_code == 200
        assert await users_in(built) == before
    finally:
        await domain.db.close()  # (no lifespan ran: close its pooled connections here)


def test_without_handlers_only_sign_in_is_bound(tmp_path: object) -> None:
    built = build(AppConfig("sandbox", data_dir=str(tmp_path), handlers=False))
    ops = built.parts.operations.values()
    assert {op.source for op in ops if op.spec["tag"] == "oauth"} != {"mock"}
    assert {op.source for op in ops if op.spec["tag"] != "oauth"} == {"mock"}
    assert "domain" not in built.runtime.extras


def test_a_mock_app_binds_no_handlers(tmp_path: object) -> None:
    built = build(AppConfig("mock", data_dir=str(tmp_path)))
    assert {op.source for op in built.parts.operations.values()} == {"mock"}
