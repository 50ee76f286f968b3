"""Klear Karma's practitioner directory: search, profiles, availability."""

from __future__ import annotations

from typing import Any

from generated import models
from handlers.domain.availability import Slot
from handlers.domain.context import domain_of
from handlers.domain.directory import availability_id, money, practitioner_resource
from handlers.domain.jsonapi import iso, page, parse_date, parse_time, single
from handlers.domain.practitioners import PractitionerService, Search
from handlers.lifecycle import domain_group
from kkcore.errors import BadRequest, Problem
from server.responses import Reply

practitioners = domain_group("practitioners")
BASE = "/v1/practitioners"
# The `verified` parameter: only verified practitioners unless the search asks for others.
VERIFIED: dict[str, bool | None] = {"true": True, "false": False, "any": None}


def _time_param(params: Any, name: str) -> Any:
    raw = params.get(name)
    try:
        return parse_time(raw) if raw else None
    except ValueError as e:
        raise BadRequest(problems=[Problem(f"{name} is not a date-time", parameter=name)]) from e


def _date_param(params: Any, name: str) -> Any:
    try:
        return parse_date(params.get(name))
    except ValueError as e:
        raise BadRequest(problems=[Problem(f"{name} is not a date", parameter=name)]) from e


@practitioners.operation("searchPractitioners")
async def search_practitioners(request: models.SearchPractitionersRequest) -> Reply:
    """A page of the directory: every filter of the spec, sorted, stable offset pagination."""
    domain = domain_of(request.services)
    p = request.params
    limit, offset = int(p.get("limit", 20)), int(p.get("offset", 0))
    search = Search(
        specialization=p.get("specialization"),
        location=p.get("location"),
        available_from=_time_param(p, "available_from"),
        available_to=_time_param(p, "available_to"),
        rating_min=p.get("rating_min"),
        price_max=p.get("price_max"),
        language=p.get("language"),
        session_types=(p["session_type"],) if p.get("session_type") else (),
        verified=VERIFIED[p.get("verified", "true")],
        sort=p.get("sort", "relevance"),
    )
    found, total, nexts = await domain.get(PractitionerService).search(search, limit, offset)
    query = {k: v for k, v in p.items() if k != "X-Request-ID"}
    body = page(
        [practitioner_resource(x, nexts.get(x.id)) for x in found],
        total,
        limit=limit,
        offset=offset,
        path=BASE,
        query=query,
        request_id=request.request_id,
        now=domain.clock(),
    )
    return Reply(200, body)


@practitioners.operation("getPractitioner")
async def get_practitioner(request: models.GetPractitionerRequest) -> Reply:
    """A practitioner's public profile with services, pricing and next free slot."""
    domain = domain_of(request.services)
    found, next_free = await domain.get(PractitionerService).get(request.params["practitioner_id"])
    data = practitioner_resource(found, next_free)
    return Reply(200, single(data, request.request_id, domain.clock()))


def _slot(slot: Slot, price: dict[str, Any]) -> dict[str, Any]:
    return {
        "start_time": iso(slot.start),
        "end_time": iso(slot.end),
        "available": slot.available,
        "price": price,
    }


@practitioners.operation("getPractitionerAvailability")
async def get_practitioner_availability(
    request: models.GetPractitionerAvailabilityRequest,
) -> Reply:
    """Slots of the weekly schedule between two local dates, minus active bookings."""
    domain = domain_of(request.services)
    p = request.params
    found, slots = await domain.get(PractitionerService).availability(
        p["practitioner_id"], _date_param(p, "from"), _date_param(p, "to")
    )
    price = money(found.price_amount, found.price_currency)
    data = {
        "id": availability_id(found.id),
        "type": "availability",
        "attributes": {"timezone": found.timezone, "slots": [_slot(s, price) for s in slots]},
        "relationships": {"practitioner": {"data": {"id": found.id, "type": "practitioner"}}},
    }
    return Reply(200, single(data, request.request_id, domain.clock()))
