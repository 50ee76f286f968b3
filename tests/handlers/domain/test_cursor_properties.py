"""Properties of the GraphQL message cursors: every cursor the server makes names its
message's position again, and any text a client invents is either a position or None —
never an exception, never a NUL byte on its way to the database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.domain.conversations import before, cursor, uncursor
from handlers.storage.models import Message

MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
IDS = st.from_regex(r"msg_[A-Za-z0-9]{1,24}", fullmatch=True)


@settings(deadline=None)  # the first Message() configures every mapper: slow once
@given(MOMENTS, IDS)
def test_a_cursor_names_its_messages_position_again(at: datetime, mid: str) -> None:
    made = cursor(Message(id=mid, created_at=at))
    assert uncursor(made) == (at, mid)
    assert mid not in made  # opaque to clients


@given(st.text(max_size=80))
def test_any_invented_text_is_a_position_or_none(text: str) -> None:
    found = uncursor(text)
    assert found is None or ("\x00" not in found[1] and found[1])


@given(st.binary(max_size=60))
def test_encoded_garbage_is_a_position_or_none(raw: bytes) -> None:
    found = uncursor(base64.urlsafe_b64encode(raw).decode())
    assert found is None or ("\x00" not in found[1] and found[1])


def test_a_cursor_with_a_nul_or_no_id_is_refused() -> None:
    def encode(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode()

    assert uncursor(encode("2024-01-01T00:00:00Z|msg\x00x")) is None
    assert uncursor(encode("2024-01-01T00:00:00Z|")) is None
    assert uncursor(encode("not a time|msg_1")) is None
    assert before(None) == []
    assert len(before((datetime(2024, 1, 1, tzinfo=UTC), "msg_1"))) == 1
