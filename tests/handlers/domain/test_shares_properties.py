"""Whatever shares a user granted (expired or not, revoked or not), a practitioner reads
exactly the record types of the valid ones, and the identity layer agrees."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.domain.caller import Caller
from handlers.domain.context import Domain, fixed_clock
from handlers.domain.health import HealthService
from handlers.domain.ownership import DatabaseOwnership
from handlers.domain.share_resources import RECORD_TYPES
from handlers.storage.database import Database
from handlers.storage.models import HealthProfile, HealthRecordShare
from kkcore.errors import InsufficientPermissions
from tests.handlers.people import at, practitioner_row, user_row

pytestmark = pytest.mark.anyio
NOW = "2024-01-01T00:00:00Z"
COUNTER = itertools.count()
# (hours from now until expiry, revoked, record types)
SHARE = st.tuples(
    st.integers(-72, 72).filter(bool),
    st.booleans(),
    st.sets(st.sampled_from(RECORD_TYPES), min_size=1),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shares=st.lists(SHARE, max_size=4))
async def test_a_practitioner_reads_exactly_the_record_types_of_valid_shares(
    database: Database, shares: list[tuple[int, bool, set[str]]]
) -> None:
    n = next(COUNTER)
    user_id, prac_id = f"user_p{n}", f"prac_p{n}"
    domain = Domain(db=database, clock=fixed_clock(NOW))
    async with database.transaction() as session:
        session.add_all([user_row(user_id), practitioner_row(prac_id)])
        await session.flush()
        session.add(
            HealthProfile(
                id=f"health_p{n}",
                user_id=user_id,
                conditions=["c"],
                allergies=["a"],
                medications=["m"],
                goals=["g"],
                emergency_contact={"name": "E", "phone_number": "+14155550100"},
            )
        )
        for i, (hours, revoked, types) in enumerate(shares):
            session.add(
                HealthRecordShare(
                    id=f"share_p{n}x{i}",
                    user_id=user_id,
                    practitioner_id=prac_id,
                    record_types=sorted(types),
                    expires_at=at(hours),
                    created_at=at(-100),
                    status="revoked" if revoked else "active",
                    revoked_at=at(-1) if revoked else None,
                )
            )
    valid = {t for hours, revoked, types in shares if hours > 0 and not revoked for t in types}
    viewer = Caller(prac_id, frozenset({prac_id}), frozenset({"read:health_records"}))
    expiry = await DatabaseOwnership(domain, None).share_expiry(
        user_id, frozenset({prac_id}), "health_records"
    )
    assert (expiry is not None and expiry > domain.clock()) == bool(valid)
    if not valid:
        with pytest.raises(InsufficientPermissions):
            await HealthService(domain).get(viewer, user_id)
        return
    attributes = (await HealthService(domain).get(viewer, user_id))["attributes"]
    shown = {name for name in RECORD_TYPES if attributes[name]}
    assert shown == valid
