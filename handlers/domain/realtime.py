"""The /ws frames that are relayed, not stored: a typing indicator goes to the people of its
conversation, a WebRTC signal to the parties of its video-call booking (its user, its
practitioner and the practitioner's user account). Both are notifications on the bus, never
written; a sender who takes part in neither gets RESOURCE_NOT_FOUND, as REST answers it.
"""

from __future__ import annotations

from typing import Any

from handlers.domain.booking_resources import booking_owners
from handlers.domain.caller import Caller
from handlers.domain.context import Domain
from handlers.domain.messaging import MessagingService, acting_as, relay
from handlers.domain.unit import read
from handlers.storage.models import Booking
from kkcore.errors import NotFound, Problem, Unprocessable

VIDEO = "video_call"


class RealtimeService:
    def __init__(self, domain: Domain) -> None:
        self.domain = domain

    async def typing(
        self, who: Caller, conversation_id: str, is_typing: bool, origin: str | None
    ) -> None:
        """Tell the conversation's people (and the sender's other connections)."""
        sender, people = await self.domain.get(MessagingService).people(who, conversation_id)
        frame = {
            "type": "typing",
            "conversation_id": conversation_id,
            "user_id": sender,
            "is_typing": is_typing,
        }
        await relay(self.domain, frame, people | {who.subject}, origin)

    async def signal(
        self,
        who: Caller,
        booking_id: str,
        signal_type: str,
        signal_data: dict[str, Any],
        origin: str | None,
    ) -> None:
        """Pass an offer, answer, ICE candidate or hang-up to the booking's other party."""
        async with read(self.domain) as session:
            booking = await session.get(Booking, booking_id)
            parties = await booking_owners(session, booking_id) if booking is not None else None
        if booking is None or parties is None or not (who.admin or who.ids & parties):
            raise NotFound(problems=[Problem(f"No booking {booking_id}", pointer="/booking_id")])
        if booking.session_type != VIDEO:
            raise Unprocessable(
                problems=[
                    Problem(
                        f"{booking_id} is a {booking.session_type} session: WebRTC signals "
                        f"are for {VIDEO} bookings",
                        pointer="/booking_id",
                    )
                ]
            )
        sender = acting_as(who, set(parties))
        frame = {
            "type": "webrtc_signal",
            "booking_id": booking_id,
            "signal_type": signal_type,
            "signal_data": signal_data,
            "from_user_id": sender,
        }
        await relay(self.domain, frame, set(parties) | {who.subject}, origin)
