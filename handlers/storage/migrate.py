"""Migrations, run programmatically at startup (`upgrade head`); `compare` lists what the
models have that the database lacks (a test keeps it empty after `upgrade`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from handlers.storage.database import Database
from handlers.storage.models import Base

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant: PostgreSQL workers starting together migrate one at a time.
PG_LOCK = 0x6B6B_6462


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_LOCK})
    command.upgrade(alembic_config(connection), "head")


async def upgrade(db: Database) -> None:
    """Bring the database to the newest revision (idempotent)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(_upgrade)


async def compare(db: Database) -> list[Any]:
    """Differences between the models and the migrated database (empty when they match)."""

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        return await conn.run_sync(diff)
