"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from handlers.batch import batch
from handlers.bookings import bookings
from handlers.graphql.messaging import BINDABLES as messaging_bindables
from handlers.messaging import messaging
from handlers.graphql.payments import BINDABLES as payments_bindables
from handlers.oauth import oauth
from handlers.payments import payments
from handlers.practitioners import practitioners
from handlers.webhooks import webhooks
from server.binding import OperationGroup

GROUPS: list[OperationGroup] = [oauth]
# On the database and tested (tests/handlers), not yet bound by default: the sandbox's
# cross-tag flows need payments (a booking's payment_status), users (listUserBookings) and
# the outbox webhook relay on the same database first. Move them into GROUPS with those.
DATABASE_GROUPS: list[OperationGroup] = [practitioners, bookings]
BINDABLES: list[Any] = []
GROUPS += [messaging, webhooks, batch]
BINDABLES += messaging_bindables
GROUPS += [payments]
BINDABLES += payments_bindables
