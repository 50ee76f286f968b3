"""GraphQL of the practitioner directory: `practitioner`, `practitioners` (every filter, the
sorts, opaque keyset cursors) and the Practitioner, Availability and Review types, through
the same service as REST (handlers/domain/practitioners.py).

Cursors stay stable while the directory changes (the changelog's "cursor stability" fix): a
cursor holds the sort keys of the row it stands after, not an offset, so a practitioner added
or removed before it neither repeats nor skips a row on the next page.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ariadne import ObjectType, QueryType
from graphql import GraphQLResolveInfo

from handlers.domain.directory import availability_id, money, specialization
from handlers.domain.jsonapi import iso, parse_date, parse_time
from handlers.domain.practitioner_rows import PractitionerRow
from handlers.domain.practitioners import PractitionerService, Search
from handlers.graphql.batch import batch, domain
from handlers.graphql.nodes import args_key, complete, edges_page, id_of, rest_input
from handlers.storage.models import Review
from handlers.storage.models.practitioners import LANGUAGE, SESSION_TYPE, SPECIALIZATION
from kkcore.errors import BadRequest, Problem

query = QueryType()
practitioner_type, availability_type = ObjectType("Practitioner"), ObjectType("Availability")
SORT_NAMES = {"relevance", "rating", "price_asc", "price_desc", "next_available", "total_sessions"}


def practitioner_node(p: PractitionerRow, next_available: datetime | None) -> dict[str, Any]:
    """A practitioner row as the GraphQL Practitioner object (every field but the lists with
    arguments, which have their own resolvers)."""
    if p.user_id:
        account: dict[str, Any] = {"id": p.user_id}
    else:  # a directory entry without an account of its own: its profile stands for it
        account = {
            "id": p.id,
            "email": p.email or "",
            "firstName": p.first_name,
            "lastName": p.last_name,
            "userType": "PRACTITIONER",
            "verified": p.verified,
            "dateOfBirth": None,
            "phoneNumber": None,
            "address": None,
            "createdAt": iso(p.created_at),
            "updatedAt": iso(p.updated_at),
        }
    return {
        "id": p.id,
        "user": account,
        "specializations": [specialization(s) for s in p.tag_values(SPECIALIZATION)],
        "credentials": [{"id": f"{p.id}_cred{i}", **c} for i, c in enumerate(p.credentials or ())],
        "bio": p.bio,
        "experience": p.experience or 0,
        "languages": p.tag_values(LANGUAGE),
        "sessionTypes": [t.upper() for t in p.tag_values(SESSION_TYPE)],
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "description": None,
                "duration": s.duration,
                "price": money(s.price_amount, s.price_currency),
                "sessionTypes": [t.upper() for t in s.session_types],
            }
            for s in p.services
        ],
        "location": {
            "city": p.city,
            "region": p.region,
            "country": p.country,
            "timezone": p.timezone,
        },
        "availability": {
            "id": availability_id(p.id),
            "timezone": p.timezone,
            "nextAvailable": iso(next_available),
            "practitionerId": p.id,
        },
        "pricing": {"basePrice": p.price_amount, "currency": p.price_currency},
        "rating": p.rating,
        "totalSessions": p.total_sessions,
        "responseTime": p.response_time,
        "verified": p.verified,
        "createdAt": iso(p.created_at),
        "updatedAt": iso(p.updated_at),
    }


async def load_practitioner(info: GraphQLResolveInfo[Any], pid: str | None) -> Any:
    """A Practitioner object by id, batched with its siblings (one query per tick)."""
    if pid is None:
        return None
    service = domain(info).get(PractitionerService)

    async def fetch(ids: Sequence[str]) -> Mapping[str, dict[str, Any]]:
        found = await service.many(list(ids))
        return {i: practitioner_node(p, at) for i, (p, at) in found.items()}

    return await batch(info, "practitioner.nodes", fetch).load(pid)


@query.field("practitioner")
async def resolve_practitioner(_: Any, info: GraphQLResolveInfo[Any], id: str) -> Any:
    return await load_practitioner(info, id)


def _invalid(detail: str, field: str) -> BadRequest:
    return BadRequest(problems=[Problem(detail, parameter=field)])


def search_of(given: Mapping[str, Any] | None, sort: str | None) -> Search:
    """A PractitionerFilter (REST-shaped) and sort as the directory's Search."""
    f = dict(given or {})
    place = f.get("location") or {}
    timed = f.get("availability") or {}
    near = None
    point = [place.get(k) for k in ("latitude", "longitude", "radius_km")]
    if any(v is not None for v in point):
        lat, lon, km = point
        if lat is None or lon is None or km is None:
            raise _invalid(
                "latitude, longitude and radiusKm go together", "filter.location.radiusKm"
            )
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _invalid("latitude -90..90, longitude -180..180", "filter.location")
        if not 0 < km <= 20_000:
            raise _invalid("radiusKm must be above 0 and at most 20000", "filter.location.radiusKm")
        near = (float(lat), float(lon), float(km))
    times: dict[str, datetime | None] = {}
    for key in ("from", "to"):
        try:
            times[key] = parse_time(timed[key]) if timed.get(key) else None
        except ValueError as e:
            raise _invalid("Not an RFC 3339 date-time", f"filter.availability.{key}") from e
    order = (sort or "relevance").lower()
    if order not in SORT_NAMES:
        raise _invalid(f"Unknown sort {sort}", "sort")
    return Search(
        specialization=f.get("specialization"),
        location=place.get("city"),
        country=place.get("country"),
        near=near,
        available_from=times["from"],
        available_to=times["to"],
        rating_min=f.get("rating_min"),
        price_max=f.get("price_max"),
        language=f.get("language"),
        session_types=tuple(
            t for t in (f.get("session_type"), timed.get("session_type")) if t is not None
        ),
        verified=shown_verified(f.get("verified"), bool(f.get("include_unverified"))),
        sort=order,
    )


def shown_verified(verified: bool | None, include_unverified: bool) -> bool | None:
    """Which practitioners a search lists: only verified ones unless it asks (REST: the
    `verified` parameter); None is both."""
    if verified is not None:
        return verified
    return None if include_unverified else True


@query.field("practitioners")
async def resolve_practitioners(_: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """A page of the directory by keyset cursor (stable while the directory changes)."""
    rest = rest_input(info, args.get("filter"), "filter")
    search = search_of(rest, args.get("sort"))
    first = max(1, min(int(args.get("first") or 20), 100))
    after = args.get("after")
    found = await domain(info).get(PractitionerService).page(search, first, after)
    edges = [
        {"cursor": c, "node": practitioner_node(p, found.next_free.get(p.id))}
        for p, c in zip(found.items, found.cursors, strict=True)
    ]
    return edges_page(edges, found.total, found.more, bool(after))


def review_cursor(review_id: str) -> str:
    return base64.urlsafe_b64encode(f"r:{review_id}".encode()).decode().rstrip("=")


def review_of(value: str | None) -> str | None:
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    if not raw.startswith("r:"):
        raise _invalid("`after` is not a review cursor", "after")
    return raw[2:]


def review_node(r: Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "author": {"id": r.author_id},
        "practitioner": {"id": r.practitioner_id},
        "rating": r.rating,
        "comment": r.comment,
        "createdAt": iso(r.created_at),
    }


@practitioner_type.field("reviews")
async def resolve_reviews(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """Newest first; the practitioners of one list share one query per page size."""
    first = max(1, min(int(args.get("first") or 20), 100))
    after = review_of(args.get("after"))
    service = domain(info).get(PractitionerService)

    async def fetch(ids: Sequence[str]) -> Mapping[str, Any]:
        pages = await service.reviews(list(ids), first, after)
        return {
            pid: edges_page(
                [{"cursor": review_cursor(r.id), "node": review_node(r)} for r in rows],
                total,
                more,
                after is not None,
            )
            for pid, (rows, total, more) in pages.items()
        }

    return await batch(info, args_key(info, args), fetch).load(id_of(obj))


@availability_type.field("slots")
async def resolve_slots(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
    """Bookable slots between two local dates (REST: GET .../availability)."""
    pid = obj.get("practitionerId") if isinstance(obj, Mapping) else None
    if pid is None:
        return []
    try:
        first, last = parse_date(args.get("from")), parse_date(args.get("to"))
    except ValueError as e:
        raise _invalid("Not a date (YYYY-MM-DD)", "from/to") from e
    found, slots = await domain(info).get(PractitionerService).availability(pid, first, last)
    price = money(found.price_amount, found.price_currency)
    return [
        {
            "startTime": iso(s.start),
            "endTime": iso(s.end),
            "available": s.available,
            "price": price,
        }
        for s in slots
    ]


PRACTITIONER_FIELDS = (
    "user",
    "specializations",
    "credentials",
    "bio",
    "experience",
    "languages",
    "sessionTypes",
    "services",
    "location",
    "availability",
    "pricing",
    "rating",
    "totalSessions",
    "responseTime",
    "verified",
    "createdAt",
    "updatedAt",
)
for name in PRACTITIONER_FIELDS:
    practitioner_type.set_field(name, complete(load_practitioner))
practitioner_type.set_field("id", lambda obj, _: id_of(obj))

BINDABLES: list[Any] = [query, practitioner_type, availability_type]
