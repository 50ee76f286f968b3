"""The schemathesis hooks draw the spec's examples only where a value is valid, so negative
cases stay negative and positive ones reach stored records."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import hooks
from tests.contracts.flagship import mock_schema

BOOKING_ID = {"type": "string", "pattern": "^booking_[A-Za-z0-9]+$", "examples": ["booking_123"]}
BODY = {
    "$ref": "#/x-bundled/s1",
    "x-bundled": {
        "s1": {
            "type": "object",
            "properties": {"booking_id": {"$ref": "#/x-bundled/s2"}, "note": {"type": "string"}},
        },
        "s2": BOOKING_ID,
    },
}


class Ctx:
    def __init__(self, op_id: str) -> None:
        self.operation = mock_schema().find_operation_by_id(op_id)


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"^booking_[A-Za-z0-9]+$", fullmatch=True), st.data())
def test_a_valid_value_may_become_an_example_and_stays_valid(value: str, data: Any) -> None:
    drawn = data.draw(hooks.seeded(value, BOOKING_ID, BOOKING_ID))
    assert drawn in (value, "booking_123")
    assert jsonschema_rs.is_valid({"pattern": BOOKING_ID["pattern"]}, drawn)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=12), st.integers(), st.none()), st.data())
def test_an_invalid_value_is_never_replaced(value: Any, data: Any) -> None:
    if jsonschema_rs.is_valid({"pattern": BOOKING_ID["pattern"], "type": "string"}, value):
        return
    assert data.draw(hooks.seeded(value, BOOKING_ID, BOOKING_ID)) == value


TIMESTAMP = {"type": "string", "format": "date-time", "examples": ["2024-01-01T00:00:00Z"]}


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.integers(0, 99), st.integers(0, 99)).filter(lambda t: t[0] > 23 or t[1] > 59),
    st.data(),
)
def test_a_value_breaking_its_format_is_never_replaced(clock: tuple[int, int], data: Any) -> None:
    """A negative case of `format` (schemathesis' "2024-01-01T12:99:00Z") stays negative: the
    hooks check formats as the server does (a CI run found an invalid time swapped out)."""
    value = f"2024-01-01T{clock[0]:02d}:{clock[1]:02d}:00Z"
    assert data.draw(hooks.seeded(value, TIMESTAMP, TIMESTAMP)) == value


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_nested_bundled_properties_are_seeded_and_others_kept(data: Any) -> None:
    body = {"booking_id": "booking_zz9", "note": "hi", "extra": 1}
    drawn = data.draw(hooks.seeded(body, BODY, BODY))
    assert drawn["note"] == "hi" and drawn["extra"] == 1
    assert drawn["booking_id"] in ("booking_zz9", "booking_123")


def test_the_hooks_reach_the_spec_examples_of_real_operations() -> None:
    seen: set[str] = set()

    @settings(max_examples=80, deadline=None)
    @given(st.data())
    def draw(data: Any) -> None:
        params = data.draw(
            hooks.flatmap_path_parameters(Ctx("getBooking"), {"booking_id": "booking_q1"})
        )
        seen.add(params["booking_id"])
        body = {"data": {"type": "payment_intent", "attributes": {"booking_id": "booking_q1"}}}
        drawn = data.draw(hooks.flatmap_body(Ctx("createPaymentIntent"), body))
        seen.add(drawn["data"]["attributes"]["booking_id"])

    draw()
    assert seen == {"booking_q1", "booking_123"}
