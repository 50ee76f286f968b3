"""Storage of the Klear Karma handlers: SQLAlchemy models, the database, migrations, seed."""

from __future__ import annotations

from handlers.storage.database import Database, database_url
from handlers.storage.ids import new_id

__all__ = ["Database", "database_url", "new_id"]
