"""ariadne bindables of the Klear Karma handlers, per area; fields they do not bind are
answered by the mocks (handler bindables win field by field, see server.graphql)."""

from __future__ import annotations

from typing import Any

from handlers.graphql import health, users

USERS: list[Any] = [users.query, users.mutation, users.user, health.mutation, health.user]
