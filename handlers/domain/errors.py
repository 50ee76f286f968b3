"""Domain errors: HTTP problems with the spec's codes (ErrorCode), raised by the services and
answered the same way to REST (JSON:API error document) and GraphQL (extensions.code)."""

from __future__ import annotations

from kkcore.errors import ApiError, Conflict, NotFound, PaymentRequired, Unprocessable

__all__ = [
    "BookingConflict",
    "InvalidBookingStatus",
    "NotFound",
    "PaymentRequired",
    "PractitionerUnavailable",
    "ResourceConflict",
    "Unprocessable",
]


class BookingConflict(ApiError):
    status, code, title, documentation = 409, "BOOKING_CONFLICT", "Booking Conflict", "conflicts"


class PractitionerUnavailable(ApiError):
    status, code, title = 409, "PRACTITIONER_UNAVAILABLE", "Practitioner Unavailable"
    documentation = "conflicts"


class InvalidBookingStatus(ApiError):
    status, code, title = 422, "INVALID_BOOKING_STATUS", "Invalid Booking Status"
    documentation = "bookings"


ResourceConflict = Conflict
