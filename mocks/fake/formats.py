"""The built-in providers (formats, common property names) and the default registry."""

from __future__ import annotations

import base64
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from mocks.fake.registry import (
    DECLINE,
    Kind,
    Provider,
    ProviderContext,
    ProviderRegistry,
    normalize_name,
)
from mocks.fake.rng import words

_EPOCH_2024 = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
_YEAR = 366 * 86400
_CURRENCIES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "INR", "SEK", "NZD")
_LANGUAGES = (
    ("en", "English"),
    ("es", "Spanish"),
    ("fr", "French"),
    ("de", "German"),
    ("pt", "Portuguese"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
    ("hi", "Hindi"),
    ("ar", "Arabic"),
)
_DOMAINS = ("example.com", "example.org", "example.net")


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", plain.lower()) or "user"


def _stamp(ctx: ProviderContext, start: float = 0.0, end: float = 1.0) -> datetime:
    """A moment in a fixed part of 2024 (never `now()`: output must not drift with time)."""
    lo = _EPOCH_2024 + int(start * _YEAR)
    return datetime.fromtimestamp(lo + ctx.rng.below(int((end - start) * _YEAR)), UTC)


def _bounded(ctx: ProviderContext, lo: float, hi: float, decimals: int) -> float | int:
    """A realistic number in [lo, hi] narrowed by the schema's own bounds."""
    schema = ctx.schema
    lo = max(lo, float(schema.get("minimum", lo)), float(schema.get("exclusiveMinimum", lo - 1)))
    hi = min(hi, float(schema.get("maximum", hi)), float(schema.get("exclusiveMaximum", hi + 1)))
    value = round(ctx.rng.uniform(lo, hi), decimals) if hi > lo else lo
    types = schema.get("type")
    return round(value) if types == "integer" or types == ["integer"] else value


def _words(ctx: ProviderContext, lo: int, hi: int) -> list[str]:
    return ctx.rng.picks(words(ctx.locale), ctx.rng.randint(lo, hi))


def sentence(ctx: ProviderContext, lo: int = 6, hi: int = 12) -> str:
    return " ".join(_words(ctx, lo, hi)).capitalize() + "."


def paragraph(ctx: ProviderContext) -> str:
    return " ".join(sentence(ctx) for _ in range(ctx.rng.randint(2, 4)))


def title(ctx: ProviderContext) -> str:
    return " ".join(word.capitalize() for word in _words(ctx, 2, 5))


def first_name(ctx: ProviderContext) -> str:
    return str(ctx.pick("first_name"))


def last_name(ctx: ProviderContext) -> str:
    return str(ctx.pick("last_name"))


def full_name(ctx: ProviderContext) -> str:
    return f"{first_name(ctx)} {last_name(ctx)}"


def username(ctx: ProviderContext) -> str:
    return f"{_ascii(first_name(ctx))}.{_ascii(last_name(ctx))}{ctx.rng.randint(1, 99)}"


def email(ctx: ProviderContext) -> str:
    return f"{_ascii(first_name(ctx))}.{_ascii(last_name(ctx))}@{ctx.rng.choice(_DOMAINS)}"


def phone(ctx: ProviderContext) -> str:
    area, line = ctx.rng.randint(201, 989), ctx.rng.randint(100, 199)
    for candidate in (f"+1{area}555{line:04d}", f"+1-{area}-555-{line:04d}"):
        if ctx.fits(candidate):
            return candidate
    return f"({area}) 555-{line:04d}"


def url(ctx: ProviderContext) -> str:
    name = normalize_name(ctx.name or "")  # `format: uri` wins over the name: still, look
    if name.startswith(("avatar", "image", "photo", "picture", "thumbnail")):
        return image_url(ctx)
    if name.startswith(("website", "homepage")):
        return website(ctx)
    words = _words(ctx, 1, 2)
    return f"https://www.{ctx.rng.choice(_DOMAINS)}/{'/'.join(words)}/{ctx.rng.token()}"


def image_url(ctx: ProviderContext) -> str:
    return f"https://images.{ctx.rng.choice(_DOMAINS)}/{ctx.rng.token(10)}.jpg"


def website(ctx: ProviderContext) -> str:
    return f"https://www.{_ascii(last_name(ctx))}-{_ascii(_words(ctx, 1, 1)[0])}.example.com"


def uri_reference(ctx: ProviderContext) -> str:
    return "/" + "/".join(_words(ctx, 1, 3))


def uri_template(ctx: ProviderContext) -> str:
    return f"https://www.{ctx.rng.choice(_DOMAINS)}/{_words(ctx, 1, 1)[0]}/{{id}}"


def relative_json_pointer(ctx: ProviderContext) -> str:
    return f"{ctx.rng.randint(0, 2)}/{_words(ctx, 1, 1)[0]}"


def regex(ctx: ProviderContext) -> str:
    return ctx.rng.choice(("^[a-z]+$", "^[A-Z]{3}$", "^[0-9]{4,6}$", "^[a-z0-9_-]{3,16}$"))


def hostname(ctx: ProviderContext) -> str:
    return f"{_ascii(_words(ctx, 1, 1)[0])}.{ctx.rng.choice(_DOMAINS)}"


def ipv4(ctx: ProviderContext) -> str:  # documentation ranges (RFC 5737): safe to show
    net = ctx.rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{ctx.rng.randint(1, 254)}"


def ipv6(ctx: ProviderContext) -> str:  # documentation prefix (RFC 3849)
    groups = [f"{ctx.rng.getrandbits(16):x}" for _ in range(4)]
    return "2001:db8::" + ":".join(groups)


def uuid(ctx: ProviderContext) -> str:
    hexed = f"{ctx.rng.getrandbits(128):032x}"
    variant = "89ab"[int(hexed[16], 16) & 3]
    return f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{variant}{hexed[17:20]}-{hexed[20:]}"


def date_time(ctx: ProviderContext) -> str:
    name = normalize_name(ctx.name or "")
    if name.startswith("created"):
        return created_at(ctx)
    if name.startswith(("updated", "modified")):
        return updated_at(ctx)
    return _stamp(ctx).strftime("%Y-%m-%dT%H:%M:%SZ")


def created_at(ctx: ProviderContext) -> str:  # first half of 2024, so created <= updated
    return _stamp(ctx, 0.0, 0.49).strftime("%Y-%m-%dT%H:%M:%SZ")


def updated_at(ctx: ProviderContext) -> str:
    return _stamp(ctx, 0.5, 0.99).strftime("%Y-%m-%dT%H:%M:%SZ")


def date(ctx: ProviderContext) -> str:
    return _stamp(ctx).strftime("%Y-%m-%d")


def birth_date(ctx: ProviderContext) -> str:
    year, day = ctx.rng.randint(1950, 2005), ctx.rng.randint(1, 28)
    return f"{year}-{ctx.rng.randint(1, 12):02d}-{day:02d}"


def time(ctx: ProviderContext) -> str:
    return f"{ctx.rng.randint(7, 19):02d}:{ctx.rng.choice((0, 15, 30, 45)):02d}:00Z"


def clock_time(ctx: ProviderContext) -> str:
    text = time(ctx)
    return text[:5] if ctx.fits(text[:5]) else text


def duration(ctx: ProviderContext) -> str:
    return f"PT{ctx.rng.choice((15, 30, 45, 60, 90))}M"


def byte(ctx: ProviderContext) -> str:
    return base64.b64encode(ctx.rng.randbytes(ctx.rng.randint(6, 24))).decode()


def password(ctx: ProviderContext) -> str:
    return f"Sandbox-{ctx.rng.token(8)}-{ctx.rng.randint(10, 99)}!"


def identifier(ctx: ProviderContext) -> Any:
    """`booking_id` -> `booking_8f3k2a`; a pattern on the schema wins (the fallback honours it)."""
    if "pattern" in ctx.schema:
        return DECLINE
    if ctx.schema.get("type") in ("integer", ["integer"]):
        return ctx.rng.randint(1, 99999)
    stem = normalize_name(ctx.name or "")
    stem = stem[:-3] if stem.endswith("_id") else ""
    return f"{stem}_{ctx.rng.token()}" if stem else ctx.rng.token(10)


def city(ctx: ProviderContext) -> str:
    return str(ctx.pick("city"))


def street(ctx: ProviderContext) -> str:
    return str(ctx.pick("street_address"))


def postal_code(ctx: ProviderContext) -> str:
    return str(ctx.pick("postcode"))


def state(ctx: ProviderContext) -> str:
    return str(ctx.pick("state"))


def country(ctx: ProviderContext) -> str:
    name = str(ctx.pick("country"))
    return name if ctx.fits(name) else str(ctx.pick("country_code"))


def country_code(ctx: ProviderContext) -> str:
    return str(ctx.pick("country_code"))


def timezone(ctx: ProviderContext) -> str:
    return str(ctx.pick("timezone"))


def language(ctx: ProviderContext) -> str:
    code, name = ctx.rng.choice(_LANGUAGES)
    if (ctx.name or "").lower().endswith("s") and ctx.fits(name):  # `languages`: names
        return name
    return code if ctx.fits(code) else name


def currency(ctx: ProviderContext) -> str:
    return ctx.rng.choice(_CURRENCIES)


def company(ctx: ProviderContext) -> str:
    return str(ctx.pick("company"))


def job(ctx: ProviderContext) -> str:
    return str(ctx.pick("job"))


def rating(ctx: ProviderContext) -> float | int:
    return _bounded(ctx, 1.0, 5.0, 1)


def price(ctx: ProviderContext) -> float | int:
    return _bounded(ctx, 15.0, 250.0, 2)


def latitude(ctx: ProviderContext) -> float | int:
    return _bounded(ctx, -60.0, 70.0, 6)


def longitude(ctx: ProviderContext) -> float | int:
    return _bounded(ctx, -180.0, 180.0, 6)


def age(ctx: ProviderContext) -> float | int:
    return _bounded(ctx, 18, 80, 0)


def duration_minutes(ctx: ProviderContext) -> int:
    return ctx.rng.choice((15, 30, 45, 60, 90))


def color(ctx: ProviderContext) -> str:
    return f"#{ctx.rng.getrandbits(24):06x}"


def slug(ctx: ProviderContext) -> str:
    return "-".join(_ascii(word) for word in _words(ctx, 2, 4))


_BUILTIN: dict[Kind, dict[Provider, tuple[str, ...]]] = {
    "format": {
        date_time: ("date-time",),
        date: ("date",),
        time: ("time",),
        duration: ("duration",),
        email: ("email", "idn-email"),
        url: ("uri", "url", "iri"),
        uri_reference: ("uri-reference", "iri-reference", "json-pointer"),
        hostname: ("hostname", "idn-hostname"),
        uri_template: ("uri-template",),
        relative_json_pointer: ("relative-json-pointer",),
        regex: ("regex",),
        ipv4: ("ipv4",),
        ipv6: ("ipv6",),
        uuid: ("uuid",),
        byte: ("byte",),
        password: ("password", "binary"),
        phone: ("phone",),
    },
    "name": {
        first_name: ("first_name", "given_name", "firstname"),
        last_name: ("last_name", "family_name", "surname", "lastname"),
        full_name: ("name", "full_name", "display_name", "fullname"),
        username: ("username", "user_name", "handle", "login"),
        email: ("email", "email_address"),
        phone: ("phone", "phone_number", "mobile", "telephone"),
        paragraph: ("bio", "description", "about", "summary", "biography"),
        sentence: ("content", "message", "comment", "body", "notes", "note", "text"),
        title: ("title", "headline", "subject"),
        city: ("city", "town"),
        street: ("address", "street", "street_address", "address_line1"),
        postal_code: ("postal_code", "zip", "zip_code", "postcode"),
        state: ("province", "us_state"),
        country: ("country",),
        country_code: ("country_code",),
        timezone: ("timezone", "time_zone", "tz"),
        language: ("language", "locale", "lang"),
        currency: ("currency", "currency_code"),
        url: ("url", "uri", "link", "href"),
        website: ("website", "homepage", "website_url"),
        image_url: ("avatar_url", "image_url", "photo_url", "avatar", "picture", "thumbnail"),
        company: ("company", "company_name", "organization", "employer"),
        job: ("job", "job_title", "occupation", "profession"),
        rating: ("rating", "stars", "score"),
        price: ("price", "amount", "cost", "fee", "total", "subtotal", "balance", "hourly_rate"),
        created_at: ("created_at", "created", "created_on"),
        updated_at: ("updated_at", "modified_at", "updated", "modified"),
        date_time: ("at", "timestamp"),
        date: ("date", "on", "day"),
        birth_date: ("birth_date", "birthday", "date_of_birth", "dob"),
        clock_time: ("time",),
        identifier: ("id", "uid"),
        uuid: ("uuid", "guid"),
        slug: ("slug",),
        color: ("color", "colour"),
        latitude: ("latitude", "lat"),
        longitude: ("longitude", "lng", "lon"),
        age: ("age",),
        duration_minutes: ("duration_minutes", "duration_mins", "minutes"),
        password: ("password",),
        hostname: ("hostname", "host", "domain"),
        ipv4: ("ip", "ip_address", "ipv4"),
    },
}


def default_registry() -> ProviderRegistry:
    """A fresh registry holding the built-in providers."""
    registry = ProviderRegistry()
    for kind, table in _BUILTIN.items():
        for fn, names in table.items():
            for name in names:
                registry.register(name, fn, kind=kind)
    return registry


providers = default_registry()
