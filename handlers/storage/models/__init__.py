"""Every table of the Klear Karma API, one module per area; `Base.metadata` is what the
migrations (handlers/storage/migrations) must match."""

from __future__ import annotations

from handlers.storage.models.base import Base, UTCDateTime, utc_now
from handlers.storage.models.bookings import Booking
from handlers.storage.models.messaging import (
    Attachment,
    Conversation,
    ConversationParticipant,
    Message,
)
from handlers.storage.models.payments import IdempotencyKey, PaymentIntent, Refund
from handlers.storage.models.platform import (
    AuditEntry,
    OutboxEvent,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from handlers.storage.models.practitioners import (
    AvailabilityOverride,
    Practitioner,
    PractitionerTag,
    Review,
    ScheduleWindow,
    Service,
)
from handlers.storage.models.users import (
    EmailChange,
    HealthProfile,
    HealthRecordShare,
    User,
    UserPreferences,
)
from handlers.storage.models.verification import PractitionerVerification

__all__ = [
    "Attachment",
    "AuditEntry",
    "AvailabilityOverride",
    "Base",
    "Booking",
    "Conversation",
    "ConversationParticipant",
    "EmailChange",
    "HealthProfile",
    "HealthRecordShare",
    "IdempotencyKey",
    "Message",
    "OutboxEvent",
    "PaymentIntent",
    "Practitioner",
    "PractitionerTag",
    "PractitionerVerification",
    "Refund",
    "Review",
    "ScheduleWindow",
    "Service",
    "User",
    "UserPreferences",
    "UTCDateTime",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "utc_now",
]
