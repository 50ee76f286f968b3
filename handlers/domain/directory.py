"""Practitioners as rows and as JSON:API resources, and the sandbox's practitioners (from the
spec's examples, sandbox.yaml and a seeded generator)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.domain.jsonapi import iso, parse_time, ref
from handlers.domain.practitioner_rows import PractitionerRow, ServiceRow
from handlers.storage.models import (
    Practitioner,
    PractitionerTag,
    Review,
    ScheduleWindow,
    Service,
    User,
)
from handlers.storage.models.practitioners import LANGUAGE, SESSION_TYPE, SPECIALIZATION
from handlers.storage.seed import generator, loader

SESSION_TYPES = ("video_call", "phone_call", "in_person", "chat")
# Monday to Friday, 09:00-17:00 local: the schedule of practitioners that state none.
WORKDAYS = tuple((day, time(9), time(17)) for day in range(5))
# Where the directory's cities are (WGS 84), for practitioners whose record states no point.
CITY_POINTS = {
    ("new york", "US"): (40.7128, -74.0060),
    ("los angeles", "US"): (34.0522, -118.2437),
    ("chicago", "US"): (41.8781, -87.6298),
    ("london", "GB"): (51.5074, -0.1278),
    ("berlin", "DE"): (52.5200, 13.4050),
    ("sydney", "AU"): (-33.8688, 151.2093),
}
# Which family of practice a specialization belongs to (GraphQL Specialization.category).
CATEGORIES = {
    "hatha yoga": "Yoga",
    "vinyasa yoga": "Yoga",
    "yin yoga": "Yoga",
    "prenatal yoga": "Yoga",
    "yoga": "Yoga",
    "meditation": "Mind",
    "mindfulness coaching": "Mind",
    "breathwork": "Mind",
    "life coaching": "Coaching",
    "nutrition coaching": "Nutrition",
    "herbalism": "Nutrition",
    "ayurveda": "Traditional medicine",
    "acupuncture": "Traditional medicine",
    "reiki": "Energy healing",
    "sound healing": "Energy healing",
    "massage therapy": "Bodywork",
}
# Seeded reviews are dated within the year after this (the same in every seeding).
REVIEWS_FROM = datetime(2025, 1, 1, tzinfo=UTC)
REVIEW_LINES = (
    "I left the session calmer than I have felt in weeks.",
    "Attentive, patient and clear. I will book again.",
    "Good session, though it started a few minutes late.",
    "Exactly what I needed after a stressful month.",
    "Helpful advice I could use the same day.",
    None,
)


def availability_id(practitioner_id: str) -> str:
    return "avail_" + re.sub(r"[^A-Za-z0-9]", "", practitioner_id)


def money(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def service_resource(s: ServiceRow) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "duration": s.duration,
        "price": money(s.price_amount, s.price_currency),
        "session_types": list(s.session_types),
    }


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def specialization(name: str) -> dict[str, Any]:
    """A specialization as GraphQL shows it: a stable id from its name, and its family."""
    return {
        "id": f"spec_{slug(name)}",
        "name": name,
        "category": CATEGORIES.get(name.lower(), "Holistic health"),
    }


def practitioner_resource(p: PractitionerRow, next_available: datetime | None) -> dict[str, Any]:
    location = {"city": p.city, "region": p.region, "country": p.country, "timezone": p.timezone}
    attributes: dict[str, Any] = {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "bio": p.bio,
        "specializations": p.tag_values(SPECIALIZATION),
        "rating": p.rating,
        "total_sessions": p.total_sessions,
        "response_time": p.response_time,
        "languages": p.tag_values(LANGUAGE),
        "verified": p.verified,
        "credentials": list(p.credentials),
        "session_types": p.tag_values(SESSION_TYPE),
        "price": money(p.price_amount, p.price_currency),
        "services": [service_resource(s) for s in p.services],
        "location": {k: v for k, v in location.items() if v is not None},
        "next_available_at": iso(next_available),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }
    if p.email:
        attributes["email"] = p.email
    if p.experience is not None:
        attributes["experience"] = p.experience
    relationships = {"availability": ref("availability", availability_id(p.id))}
    if p.user_id:
        relationships["user"] = ref("user", p.user_id)
    return {
        "id": p.id,
        "type": "practitioner",
        "attributes": attributes,
        "relationships": relationships,
    }


def _tags(values: Mapping[str, Any]) -> list[PractitionerTag]:
    return [
        PractitionerTag(kind=kind, position=i, value=str(v))
        for kind, key in (
            (SPECIALIZATION, "specializations"),
            (LANGUAGE, "languages"),
            (SESSION_TYPE, "session_types"),
        )
        for i, v in enumerate(dict.fromkeys(values.get(key) or ()))
    ]


@loader("practitioner", order=10)
async def load_practitioner(
    session: AsyncSession, record: Mapping[str, Any], _: Mapping[str, Any]
) -> bool:
    if await session.get(Practitioner, record["id"]) is not None:
        return False
    a = record.get("attributes") or {}
    price = a.get("price") or {"amount": 50, "currency": "USD"}
    location = a.get("location") or {}
    stamps = {k: parse_time(a[k]) for k in ("created_at", "updated_at") if a.get(k)}
    user = ((record.get("relationships") or {}).get("user") or {}).get("data") or {}
    point = CITY_POINTS.get(((location.get("city") or "").lower(), location.get("country") or ""))
    if "latitude" in location and "longitude" in location:
        point = (float(location["latitude"]), float(location["longitude"]))
    p = Practitioner(
        id=record["id"],
        user_id=user.get("id"),
        first_name=a.get("first_name", ""),
        last_name=a.get("last_name", ""),
        email=a.get("email"),
        bio=a.get("bio", ""),
        rating=float(a.get("rating", 5)),
        total_sessions=int(a.get("total_sessions", 0)),
        response_time=int(a.get("response_time", 60)),
        verified=bool(a.get("verified", False)),
        experience=a.get("experience"),
        credentials=list(a.get("credentials") or ()),
        price_amount=int(price["amount"]),
        price_currency=price["currency"],
        city=location.get("city"),
        region=location.get("region"),
        country=location.get("country"),
        timezone=location.get("timezone") or "UTC",
        latitude=point[0] if point else None,
        longitude=point[1] if point else None,
        tags=_tags({"session_types": SESSION_TYPES, **a}),
        services=[
            Service(
                id=s["id"],
                position=i,
                name=s["name"],
                duration=s["duration"],
                price_amount=s["price"]["amount"],
                price_currency=s["price"]["currency"],
                session_types=list(s.get("session_types") or ()),
            )
            for i, s in enumerate(a.get("services") or ())
        ],
        schedule=[ScheduleWindow(weekday=d, starts=s, ends=e) for d, s, e in WORKDAYS],
        **stamps,
    )
    session.add(p)
    await session.flush()
    session.add_all(seeded_reviews(p, await _reviewers(session)))
    return True


async def _reviewers(session: AsyncSession) -> list[str]:
    """The seeded patients, read once per seeding session."""
    found: list[str] | None = session.info.get("kk.reviewers")
    if found is None:
        rows = await session.scalars(select(User.id).where(User.user_type == "patient"))
        found = session.info["kk.reviewers"] = sorted(rows)
    return found


def seeded_reviews(p: Practitioner, authors: list[str]) -> list[Review]:
    """A few reviews by the sandbox's patients, around the practitioner's rating; the same
    for the same practitioner id (a per-practitioner random stream)."""
    if not authors or p.total_sessions == 0:
        return []
    rng = random.Random(f"reviews:{p.id}")
    count = min(p.total_sessions, rng.randint(2, 6))
    return [
        Review(
            id=f"review_{slug(p.id).replace('-', '')}{n}",
            practitioner_id=p.id,
            author_id=rng.choice(authors),
            rating=max(1, min(5, round(p.rating + rng.uniform(-1.0, 0.6)))),
            comment=rng.choice(REVIEW_LINES),
            created_at=REVIEWS_FROM
            + timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 1439)),
        )
        for n in range(count)
    ]


FIRST = ("Ava", "Noah", "Maya", "Liam", "Zara", "Kai", "Iris", "Omar", "Lena", "Ravi", "Sofia")
LAST = ("Patel", "Garcia", "Chen", "Okafor", "Nguyen", "Silva", "Kowalski", "Haddad", "Moreau")
CITIES = (
    ("New York", "NY", "US", "America/New_York"),
    ("Los Angeles", "CA", "US", "America/Los_Angeles"),
    ("Chicago", "IL", "US", "America/Chicago"),
    ("London", "England", "GB", "Europe/London"),
    ("Berlin", "Berlin", "DE", "Europe/Berlin"),
    ("Sydney", "NSW", "AU", "Australia/Sydney"),
)
LANGUAGES = ("English", "Spanish", "French", "German", "Hindi", "Mandarin", "Portuguese")


@generator("practitioner")
def generate_practitioner(
    rng: random.Random, index: int, words: Mapping[str, list[str]]
) -> dict[str, Any]:
    """A plausible practitioner, the same for the same seed and index."""
    specs = words.get("specialization") or ["Meditation", "Reiki", "Hatha Yoga"]
    city, region, country, tz = rng.choice(CITIES)
    price = rng.randrange(40, 201, 5)
    types = rng.sample(SESSION_TYPES, rng.randint(1, len(SESSION_TYPES)))
    first, last = rng.choice(FIRST), rng.choice(LAST)
    chosen = rng.sample(specs, rng.randint(1, 3))
    return {
        "id": f"prac_seed{index:04d}",
        "type": "practitioner",
        "attributes": {
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}.{index}@practitioners.klearkarma.invalid".lower(),
            "bio": f"{first} practises {', '.join(chosen)} in {city}.",
            "specializations": chosen,
            "rating": round(rng.uniform(3.5, 5.0), 1),
            "total_sessions": rng.randrange(0, 2000),
            "response_time": rng.choice((15, 30, 60, 120, 240)),
            "languages": ["English", *rng.sample(LANGUAGES[1:], rng.randint(0, 2))],
            # Seeded practitioners are all verified (listed by default); the draw that once
            # decided it stays, so every later draw (and the sandbox's data) stays the same.
            "verified": rng.random() >= 0.0,
            "experience": rng.randint(1, 25),
            "session_types": types,
            "price": {"amount": price, "currency": "USD"},
            "services": [
                {
                    "id": f"service_seed{index:04d}s{n}",
                    "name": f"{spec} session",
                    "duration": rng.choice((30, 45, 60, 90)),
                    "price": {"amount": price, "currency": "USD"},
                    "session_types": types,
                }
                for n, spec in enumerate(chosen[:2])
            ],
            "location": {"city": city, "region": region, "country": country, "timezone": tz},
        },
    }
