"""Deprecated operations (`deprecated: true`, `x-sunset`, `x-successor`) answer with the
Deprecation (RFC 9745), Sunset (RFC 8594) and Link headers, on errors too; `kk routes` shows
them. Engine-level: a fixture spec, not the flagship (whose reference deprecates nothing)."""

from __future__ import annotations

import copy
import datetime as dt
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from kkapp.cli import main
from kkapp.config import AppConfig
from kkapp.factory import build
from kkcore.errors import SpecError
from server.deprecation import deprecation_headers
from tests.engine import FIXTURES, client, fixture_table

pytestmark = pytest.mark.anyio
SPEC = str(FIXTURES / "deprecation" / "openapi.yaml")
SUNSET = dt.datetime(2027, 6, 30, tzinfo=dt.UTC)
DEPRECATED_AT = dt.datetime(2026, 1, 15, tzinfo=dt.UTC)


def app() -> Any:
    return build(AppConfig("mock", spec=SPEC, data_dir="/nonexistent")).app


async def test_a_deprecated_operation_names_its_date_sunset_and_successor() -> None:
    async with client(app()) as c:
        r = await c.get("/api/v1/notes")
    assert r.status_code == 200
    assert r.headers["deprecation"] == f"@{int(DEPRECATED_AT.timestamp())}"
    assert parsedate_to_datetime(r.headers["sunset"]) == SUNSET
    assert r.headers["sunset"] == "Wed, 30 Jun 2027 00:00:00 GMT"
    assert r.headers["link"] == (
        '</api/v2/notes>; rel="successor-version", '
        '<https://docs.example.org/migrate-to-v2>; rel="deprecation"'
    )


async def test_errors_of_a_deprecated_operation_carry_the_headers_too() -> None:
    async with client(app()) as c:
        refused = await c.get("/api/v1/notes", headers={"Accept": "text/csv"})
    assert refused.status_code == 406 and refused.headers["deprecation"].startswith("@")


async def test_without_dates_the_deprecation_is_in_effect_and_current_operations_say_nothing() -> (
    None
):
    async with client(app()) as c:
        old = await c.get("/api/v1/notes/n1")
        current = await c.get("/api/v2/notes")
    assert old.headers["deprecation"] == "@0"
    assert "sunset" not in old.headers and "link" not in old.headers
    assert not {"deprecation", "sunset", "link"} & set(current.headers)


def test_a_sunset_that_is_not_a_date_is_a_startup_error_naming_the_operation() -> None:
    table = fixture_table("deprecation")
    op = copy.deepcopy(table["operations"]["listNotesV1"])
    op["extensions"]["x-sunset"] = "next summer"
    with pytest.raises(SpecError, match="listNotesV1: x-sunset"):
        deprecation_headers(op, table["operations"])


TABLE = fixture_table("deprecation")


@settings(deadline=None)
@given(st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(9999, 1, 1)))
def test_any_sunset_and_deprecation_date_round_trips_through_the_headers(when: dt.datetime) -> None:
    table = TABLE
    op = copy.deepcopy(table["operations"]["listNotesV1"])
    moment = when.replace(microsecond=0, tzinfo=dt.UTC)
    op["extensions"]["x-sunset"] = moment.isoformat()
    op["extensions"]["x-deprecated-at"] = moment.date()
    headers = dict(deprecation_headers(op, table["operations"]))
    assert parsedate_to_datetime(headers["Sunset"]) == moment
    midnight = dt.datetime.combine(moment.date(), dt.time(), dt.UTC)
    assert headers["Deprecation"] == f"@{int(midnight.timestamp())}"


def test_kk_routes_shows_the_deprecation_of_each_operation() -> None:
    result = CliRunner().invoke(main, ["routes", "--mode", "mock", "--spec", SPEC])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[-1] == "DEPRECATION"
    row = {line.split()[2]: line for line in lines[1:]}
    assert row["listNotesV1"].endswith("deprecated, sunset 2027-06-30, -> listNotes")
    assert row["getNoteV1"].endswith("deprecated")
    assert "deprecated" not in row["listNotes"]
