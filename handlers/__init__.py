"""Hand-written Klear Karma handlers, one module per spec tag (found via `kk.handlers`)."""

from __future__ import annotations

from typing import Any

from handlers.graphql import USERS
from handlers.graphql.bookings import BINDABLES as bookings_bindables
from handlers.graphql.messaging import BINDABLES as messaging_bindables
from handlers.graphql.payments import BINDABLES as payments_bindables
from handlers.graphql.practitioners import BINDABLES as practitioners_bindables
from handlers.graphql.verification import BINDABLES as verification_bindables
from handlers.rest.batch import batch
from handlers.rest.bookings import bookings
from handlers.rest.health_records import health_records
from handlers.rest.messaging import messaging
from handlers.rest.oauth import oauth
from handlers.rest.payments import payments
from handlers.rest.practitioners import practitioners
from handlers.rest.users import users
from handlers.rest.verification import (  # noqa: F401 - binds the verification operations
    get_practitioner_verification,
)
from handlers.rest.webhooks import webhooks
from server.binding import OperationGroup

GROUPS: list[OperationGroup] = [
    oauth,
    practitioners,
    bookings,
    users,
    health_records,
    payments,
    messaging,
    webhooks,
    batch,
]
BINDABLES: list[Any] = [
    *USERS,
    *messaging_bindables,
    *payments_bindables,
    *practitioners_bindables,
    *bookings_bindables,
    *verification_bindables,
]
