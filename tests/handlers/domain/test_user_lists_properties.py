"""Paging a user's bookings: the pages, in order, are the whole list sorted newest first
(ties by id), each booking once, whatever the times (ties included) and the page size."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.domain.context import Domain
from handlers.domain.user_lists import BookingFilter, UserLists
from handlers.storage.database import Database
from tests.handlers.people import at, booking_row, practitioner_row, user_row

pytestmark = pytest.mark.anyio
COUNTER = itertools.count()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mine=st.lists(st.integers(0, 4), max_size=9),
    theirs=st.lists(st.integers(0, 4), max_size=4),
    limit=st.integers(1, 4),
)
async def test_pages_concatenate_to_the_whole_sorted_list_without_duplicates(
    database: Database, mine: list[int], theirs: list[int], limit: int
) -> None:
    n = next(COUNTER)
    user_id, other, account = f"user_l{n}", f"user_m{n}", f"user_a{n}"
    # One practitioner per booking (a slot holds one active booking), all of one account.
    rows = [
        booking_row(f"booking_l{n}x{i:02d}{'ab'[i % 2]}", user_id, f"prac_l{n}x{i}", at(h))
        for i, h in enumerate(mine)
    ] + [
        booking_row(f"booking_m{n}x{i}", other, f"prac_m{n}x{i}", at(h))
        for i, h in enumerate(theirs)
    ]
    async with database.transaction() as session:
        session.add_all([user_row(user_id), user_row(other), user_row(account)])
        session.add_all(practitioner_row(b.practitioner_id, user_id=account) for b in rows)
        await session.flush()
        session.add_all(rows)
    lists = UserLists(Domain(db=database))
    expected = [
        b.id
        for b in sorted(rows, key=lambda b: (b.scheduled_at, b.id), reverse=True)
        if b.user_id == user_id
    ]
    seen: list[str] = []
    for offset in range(0, len(expected) + limit, limit):
        pages = await lists.bookings([user_id, account], BookingFilter(), limit, offset)
        assert pages[user_id].total == len(expected)
        assert pages[account].total == len(rows)  # the practitioner's account sees them all
        seen += [b["id"] for b in pages[user_id].items]
    assert seen == expected
