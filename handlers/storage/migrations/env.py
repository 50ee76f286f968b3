"""Alembic environment: programmatic (`handlers.storage.migrate.upgrade`, which passes an open
connection) or from the command line against `DATABASE_URL` (async engines)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic import context
from sqlalchemy.engine import Connection

from handlers.storage.database import database_url
from handlers.storage.models import Base

target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_async(url: str) -> None:
    from handlers.storage.database import Database

    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            await conn.run_sync(run_with)
            await conn.commit()
    finally:
        await db.close()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_with(connection)
elif context.is_offline_mode():
    context.configure(url=database_url(Path(os.environ.get("KK_DATA_DIR", ".kk"))))
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async(database_url(Path(os.environ.get("KK_DATA_DIR", ".kk")))))
