"""`x-owner` and `x-error-format` are checked when the app is built, not when a request comes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import load_table
from kkcore.errors import SpecError, StartupError
from kkcore.types import ApiTable
from server.app import choose_handlers, compile_operations
from server.auth.access import OwnerRule
from server.binding import OperationGroup, bind
from server.config import Runtime
from server.ports import OperationRequest
from server.responses import Reply
from tests.auth.helpers import auth, sandbox

TABLE = load_table(AppConfig())


@pytest.mark.parametrize(
    "raw",
    [
        "user_id",
        {"user": "user_id", "owner": "x"},
        {"share": "health_records"},
        {"resource": "booking"},
        {"bypass": ["admin:users"]},
        {"fields": ["data/attributes/user_id"]},
    ],
)
def test_a_malformed_x_owner_is_a_spec_error(raw: Any) -> None:
    with pytest.raises(SpecError, match="getBooking: x-owner"):
        OwnerRule.parse("getBooking", raw)


def test_every_x_owner_of_the_flagship_spec_parses() -> None:
    rules = {
        op_id: OwnerRule.parse(op_id, spec["extensions"]["x-owner"])
        for op_id, spec in TABLE["operations"].items()
        if "x-owner" in spec["extensions"]
    }
    assert rules["getHealthProfile"].share == "health_records"
    assert rules["getBooking"].resource == "booking" and rules["getBooking"].fields
    # a user's data yields to both admin scopes; webhooks are the platform's, admin:platform only
    assert all(
        r.bypass
        == ({"admin:platform"} if r.resource == "webhook" else {"admin:users", "admin:platform"})
        for r in rules.values()
    )
    user_scoped = {op for op, s in TABLE["operations"].items() if "{user_id}" in s["path"]}
    assert user_scoped <= {op for op, r in rules.items() if r.user == "user_id"}


bookings = OperationGroup("bookings")


@bookings.operation("getBooking")
async def get_booking(request: OperationRequest[Any, Any]) -> Reply:
    return Reply(200, {})


def test_a_handler_whose_resource_no_ownership_source_knows_stops_the_server(
    tmp_path: Any,
) -> None:
    built = sandbox(str(tmp_path))
    runtime = Runtime(
        table=TABLE, mode="strict", authenticator=auth(built).authenticator, ownership=None
    )
    handlers = choose_handlers(
        TABLE["operations"], bind([bookings], TABLE["operations"]), None, "strict"
    )
    with pytest.raises(StartupError, match="getBooking: x-owner names resource 'booking'"):
        compile_operations(runtime, handlers)


def test_an_unknown_error_format_is_a_spec_error() -> None:
    table: ApiTable = copy.deepcopy(TABLE)
    table["operations"]["createToken"]["extensions"]["x-error-format"] = "soap"
    runtime = Runtime(table=table, mode="strict")
    handlers = choose_handlers(table["operations"], {}, None, "strict")
    with pytest.raises(SpecError, match="createToken: unknown x-error-format 'soap'"):
        compile_operations(runtime, handlers)
