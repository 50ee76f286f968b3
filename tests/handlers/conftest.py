"""Fixtures of the handlers' tests: databases (SQLite in a temp dir, PostgreSQL in a
throwaway cluster) and sandbox apps on them."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import asyncpg
import httpx
import pytest

from contracts.throwaway import PostgresCluster, ThrowawayError
from handlers.domain.context import domain_of
from handlers.storage.database import DB_FILE, Database, database_url
from handlers.storage.migrate import upgrade
from kkapp.config import AppConfig
from kkapp.factory import Built, build
from tests.conftest import free_port

BACKENDS = ["sqlite", "postgresql"]
NOW = "2024-01-01T00:00:00Z"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server URL: `DATABASE_URL` if set, else a cluster started for the session."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql")):
        yield given
        return
    cluster = PostgresCluster(free_port())
    try:
        try:
            url = cluster.start()
        except ThrowawayError as e:
            pytest.fail(str(e))
        yield url
    finally:
        cluster.stop()


def in_thread(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` to completion on its own loop (callers may be inside a running one)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


def fresh_postgres_database(server: str) -> str:
    """A new empty database on `server`; its URL (asyncpg)."""
    name = "kk_" + uuid.uuid4().hex[:12]
    plain = server.replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    in_thread(create())
    base, _, _ = plain.rpartition("/")
    return database_url(Path("."), {"DATABASE_URL": f"{base}/{name}"})


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """One client for every request and poll of a test: `httpx.get` builds a client, and with
    it an SSL context (about 30 ms of CPU), per call, 20 times a second while polling."""
    with httpx.Client() as client:
        yield client


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each backend (the test runs once per backend)."""
    if request.param == "sqlite":
        return database_url(tmp_path, {})
    return fresh_postgres_database(request.getfixturevalue("postgres_server"))


@asynccontextmanager
async def migrated(url: str, env: Mapping[str, str] | None = None) -> AsyncIterator[Database]:
    """The database at `url`, pooled (as an app's lifespan opens it) and migrated; closed
    when the block ends."""
    db = Database(url, env)
    await db.open()
    await upgrade(db)
    try:
        yield db
    finally:
        await db.close()


@pytest.fixture
async def database(backend_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database of each backend."""
    async with migrated(backend_url) as db:
        yield db


def sandbox_app(data_dir: str | None = None, **options: object) -> Built:
    """`kk sandbox`'s app on a fresh data dir (SQLite unless DATABASE_URL is set)."""
    config = AppConfig(
        "sandbox",
        data_dir=data_dir or tempfile.mkdtemp(prefix="kk-handlers-"),
        rate_limits="off",
        options=dict(options),
    )
    return build(config)


@pytest.fixture(scope="session")
def seeded_templates(postgres_server: str) -> dict[str, str]:
    """A migrated, seeded database per backend, made once per session; each `sandbox` starts
    from a copy (a file copy, or PostgreSQL's CREATE DATABASE ... TEMPLATE) instead of
    seeding again (seconds per app)."""
    sqlite_dir = Path(tempfile.mkdtemp(prefix="kk-template-"))
    pg_url = fresh_postgres_database(postgres_server)

    async def prepare(url: str | None, data_dir: Path) -> None:
        with patch.dict(os.environ, {"DATABASE_URL": url} if url else {}, clear=False):
            if url is None:
                os.environ.pop("DATABASE_URL", None)
            domain = domain_of(sandbox_app(str(data_dir), now=NOW).runtime.extras)
        await domain.ready()
        await domain.db.close()

    in_thread(prepare(None, sqlite_dir))
    in_thread(prepare(pg_url, Path(tempfile.mkdtemp(prefix="kk-template-"))))
    return {"sqlite": str(sqlite_dir / DB_FILE), "postgresql": pg_url}


def copy_postgres_database(template_url: str) -> str:
    """A new database on the template's server, created from it."""
    plain = template_url.replace("postgresql+asyncpg://", "postgresql://")
    base, _, template = plain.rpartition("/")
    name = "kk_" + uuid.uuid4().hex[:12]

    async def create() -> None:
        conn = await asyncpg.connect(f"{base}/postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()

    in_thread(create())
    return database_url(Path("."), {"DATABASE_URL": f"{base}/{name}"})


@pytest.fixture(params=BACKENDS)
async def sandbox(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    seeded_templates: dict[str, str],
    tmp_path: Path,
) -> AsyncIterator[Built]:
    """A sandbox app (with handlers) on each backend, its clock at 2024-01-01T00:00:00Z,
    starting from the seeded template of its backend."""
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", copy_postgres_database(seeded_templates["postgresql"]))
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
        shutil.copyfile(seeded_templates["sqlite"], tmp_path / DB_FILE)
    built = sandbox_app(str(tmp_path), now=NOW)
    await domain_of(built.runtime.extras).db.open()  # pooled, as the app's lifespan opens it
    try:
        yield built
    finally:
        await domain_of(built.runtime.extras).db.close()
