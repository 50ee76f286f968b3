"""The handlers' database fixtures (SQLite and PostgreSQL sandboxes) for the domain's
security regressions."""

from tests.handlers.conftest import (  # noqa: F401 - fixtures, found by name
    backend_url,
    database,
    postgres_server,
    sandbox,
    seeded_templates,
)
