"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from handlers.bookings import bookings
from handlers.graphql import USERS
from handlers.health_records import health_records
from handlers.oauth import oauth
from handlers.practitioners import practitioners
from handlers.users import users
from server.binding import OperationGroup

GROUPS: list[OperationGroup] = [oauth, practitioners, bookings, users, health_records]
BINDABLES: list[Any] = [*USERS]
