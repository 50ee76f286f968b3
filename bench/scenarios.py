"""The scenarios: what each side is asked, and which server answers it.

Paths are relative to the REST base of the server (`/v1` for kk, none for Prism, which
ignores the spec's relative server URL). Both sides get the same headers, including a bearer
token: Prism answers 401 without one (it checks presence only), `kk mock` ignores it, and
`kk sandbox` verifies it (RS256 JWT from its own OAuth flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.load import Request

BODIES = Path(__file__).resolve().parent / "wrk" / "bodies"
ACCEPT = ("Accept", "application/json")
BEARER = ("Authorization", "Bearer $TOKEN")
JSON = ("Content-Type", "application/json")


def _body(name: str) -> bytes:
    return (BODIES / name).read_bytes()


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    request: Request
    kk: str  # server key (see run.SERVERS)
    prism: str | None  # None: Prism has no equivalent
    expect: int  # the status both sides must answer
    rest: bool = True  # path under the REST base; False: absolute (/graphql)
    note: str = ""
    # (who, server key) measured side by side; empty: ("kk", kk) and ("prism", prism)
    sides: tuple[tuple[str, str], ...] = ()


def get(path: str, lua: str = "get.lua", *extra: tuple[str, str]) -> Request:
    return Request("GET", path, lua, (ACCEPT, BEARER, *extra))


def post(path: str, lua: str, body: str, slot_step: int = 1) -> Request:
    return Request("POST", path, lua, (JSON, ACCEPT, BEARER), _body(body), slot_step)


# Issue 14: the real handlers (`kk sandbox` on SQLite, `kk serve` on PostgreSQL + Redis with
# two workers) side by side with `kk mock` on the same request bytes.
REAL = (("mock", "kk"), ("sandbox", "sandbox"), ("serve_pg", "serve_pg"))
REAL_SIDES = {
    "mock": "kk mock",
    "sandbox": "kk sandbox (SQLite)",
    "serve_pg": "kk serve (PostgreSQL, 2 workers)",
    "graphql_tools": "@graphql-tools/mock",
}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "get_list",
        "GET list",
        get("/practitioners"),
        "kk",
        "prism",
        200,
    ),
    Scenario(
        "get_list_limit",
        "GET list ?limit=20",
        get("/practitioners?limit=20"),
        "kk",
        "prism",
        200,
    ),
    Scenario(
        "get_one",
        "GET one",
        get("/practitioners/prac_123"),
        "kk",
        "prism",
        200,
    ),
    Scenario(
        "post_valid",
        "POST valid (201)",
        post("/bookings", "post_valid.lua", "booking_valid.json"),
        "kk",
        "prism",
        201,
    ),
    Scenario(
        "post_invalid",
        "POST invalid (422)",
        post("/bookings", "post_invalid.lua", "booking_invalid.json"),
        "kk",
        "prism",
        422,
    ),
    Scenario(
        "dynamic_list",
        "dynamic list ?limit=20",
        get("/practitioners?limit=20", "dynamic.lua", ("Prefer", "dynamic=true")),
        "kk",
        "prism_dynamic",
        200,
        note="kk: `Prefer: dynamic=true`; Prism: `prism mock -d`",
    ),
    Scenario(
        "dynamic_new",
        "dynamic list, a new page each request",
        get("/practitioners?limit=20&offset={n}", "dynamic_new.lua", ("Prefer", "dynamic=true")),
        "kk",
        "prism_dynamic",
        200,
        note="every request another offset: kk cannot answer from its cache",
    ),
    Scenario(
        "auth",
        "authenticated GET (JWT verified)",
        get("/practitioners?limit=20"),
        "sandbox",
        "prism",
        200,
        note="kk verifies an RS256 JWT and its scope; Prism only checks a token is present",
    ),
    Scenario(
        "graphql",
        "GraphQL practitioners(first: 20)",
        post("/graphql", "graphql.lua", "graphql_practitioners.json"),
        "kk",
        None,
        200,
        rest=False,
        note="Prism has no GraphQL; DESIGN: ariadne as-is 379, cached 886, graphql-tools 2,135",
    ),
    Scenario(
        "get_list_w2",
        "GET list, 2 workers",
        get("/practitioners"),
        "kk_w2",
        None,
        200,
        note="`kk mock --workers 2`; wrk shares the same 2 cores",
    ),
    Scenario(
        "post_valid_w2",
        "POST valid, 2 workers",
        post("/bookings", "post_valid.lua", "booking_valid.json"),
        "kk_w2",
        None,
        201,
        note="`kk mock --workers 2`",
    ),
)

REAL_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "real_list",
        "GET /practitioners?limit=20",
        get("/practitioners?limit=20"),
        "kk",
        None,
        200,
        sides=REAL,
    ),
    Scenario(
        "real_one",
        "GET one practitioner",
        get("/practitioners/prac_123"),
        "kk",
        None,
        200,
        sides=REAL,
    ),
    Scenario(
        "real_user_bookings",
        "GET a user's bookings",
        get("/users/test_user_123/bookings"),
        "kk",
        None,
        200,
        sides=REAL,
    ),
    Scenario(
        "real_graphql",
        "GraphQL SearchPractitioners (first: 20)",
        post("/graphql", "graphql_search.lua", "graphql_search.json"),
        "kk",
        None,
        200,
        rest=False,
        sides=(*REAL, ("graphql_tools", "graphql_tools")),
        note="the reference's query; the anchor mocks a page of 20 on spec/schema.graphql",
    ),
    Scenario(
        "real_graphql_fresh",
        "GraphQL SearchPractitioners, new variables each request",
        post("/graphql", "graphql_fresh.lua", "graphql_search_fresh.json"),
        "kk",
        None,
        200,
        rest=False,
        sides=(*REAL, ("graphql_tools", "graphql_tools")),
        note="an undeclared `nonce` variable new each request: executed every time, never kept",
    ),
    Scenario(
        "real_post_booking",
        "POST /bookings (a new slot each request)",
        post("/bookings", "post_booking.lua", "booking_valid.json", slot_step=3600),
        "kk",
        None,
        201,
        sides=REAL,
        note="hour-long bookings an hour apart over 30 seeded practitioners (no 409s)",
    ),
)
SCENARIOS = SCENARIOS + REAL_SCENARIOS

WS_FANOUT = "ws_fanout"
ALL = (*(s.name for s in SCENARIOS), WS_FANOUT)
