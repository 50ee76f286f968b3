"""The handlers' database fixtures (a seeded sandbox on each backend), for the security tests."""

from tests.handlers.conftest import postgres_server, sandbox, seeded_templates

__all__ = ["postgres_server", "sandbox", "seeded_templates"]
