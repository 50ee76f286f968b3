"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from handlers.bookings import bookings
from handlers.graphql.payments import BINDABLES as payments_bindables
from handlers.oauth import oauth
from handlers.payments import payments
from handlers.practitioners import practitioners
from server.binding import OperationGroup

GROUPS: list[OperationGroup] = [oauth, practitioners, bookings]
BINDABLES: list[Any] = []
GROUPS += [payments]
BINDABLES += payments_bindables
