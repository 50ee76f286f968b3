"""Value providers for fake data: a registry by property name, format and `x-faker` hint."""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib
import random
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from faker import Faker

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem

Kind = Literal["name", "format", "hint"]
T = TypeVar("T")
KINDS: tuple[Kind, ...] = ("name", "format", "hint")
_M64 = (1 << 64) - 1
_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


class FakeDataError(Exception):
    """Base of every error raised by the fake-data generator."""


class DuplicateProvider(FakeDataError):
    def __init__(self, name: str, kind: Kind) -> None:
        super().__init__(f"a {kind} provider named {name!r} is already registered")
        self.name = name
        self.kind = kind


class Rng(random.Random):
    """A `random.Random` driven by splitmix64: seeding costs nothing, unlike Mersenne Twister.

    Providers get the full `random.Random` API. `random`, `getrandbits`, `randint`, `choice`,
    `below`, `picks` and `token` are defined here, so their draws depend on the seed alone, on
    any machine; the other methods are the standard library's, built on these.
    """

    def __init__(self, state: int) -> None:  # no super().__init__: it would seed the MT state
        self._state = state & _M64
        self.gauss_next = None

    def seed(self, a: Any = None, version: int = 2) -> None:
        self._state = int(a or 0) & _M64

    def next64(self) -> int:
        s = (self._state + 0x9E3779B97F4A7C15) & _M64
        self._state = s
        z = ((s ^ (s >> 30)) * 0xBF58476D1CE4E5B9) & _M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
        return z ^ (z >> 31)

    def getrandbits(self, k: int) -> int:
        out, got = 0, 0
        while got < k:
            out = (out << 64) | self.next64()
            got += 64
        return out >> (got - k)

    def random(self) -> float:
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def below(self, n: int) -> int:
        """A uniform int in [0, n) — the hot-path cousin of randrange."""
        return self.next64() % n if n <= (1 << 32) else self.getrandbits(n.bit_length() + 64) % n

    def randint(self, a: int, b: int) -> int:
        return a + self.below(b - a + 1)

    def choice(self, seq: SupportsLenAndGetItem[T]) -> T:
        if not seq:
            raise IndexError("cannot choose from an empty sequence")
        return seq[self.below(len(seq))]

    def picks(self, seq: SupportsLenAndGetItem[T], count: int) -> list[T]:
        """`count` uniform choices from `seq`, several per 64-bit draw."""
        size, out = len(seq), list[T]()
        per_draw = max(1, 60 // max(1, size.bit_length()))
        while len(out) < count:
            draw = self.next64()
            for _ in range(min(per_draw, count - len(out))):
                draw, index = divmod(draw, size)
                out.append(seq[index])
        return out

    def token(self, length: int = 6, alphabet: str = _LOWER_ALNUM) -> str:
        """`length` characters of `alphabet` (a byte per character, mapped in C)."""
        table = _tables.get(alphabet)
        if table is None:
            table = _tables[alphabet] = {b: alphabet[b % len(alphabet)] for b in range(256)}
        raw = self.getrandbits(8 * length).to_bytes(length, "big") if length > 0 else b""
        return raw.decode("latin-1").translate(table)


_tables: dict[str, dict[int, str]] = {}


# One Faker per (thread, locale): creating one is slow, and seeding a shared one is not
# thread-safe. Faker draws from the provider's Rng, so its output is as deterministic.
_local = threading.local()


def faker_for(locale: str, rng: random.Random) -> Any:
    fakers: dict[str, Any] = _local.__dict__.setdefault("fakers", {})
    generator: Any = fakers.get(locale)
    if generator is None:
        generator = fakers[locale] = Faker(locale)[locale]
    generator.random = rng
    return generator


_pools: dict[tuple[str, str], tuple[Any, ...]] = {}
_pool_lock = threading.Lock()


def pool(locale: str, method: str, size: int = 256) -> tuple[Any, ...]:
    """A fixed, seeded sample of a Faker method's output: many Faker methods cost ~100 µs."""
    found = _pools.get((locale, method))
    if found is None:
        with _pool_lock:
            digest = hashlib.sha256(f"pool|{locale}|{method}".encode()).digest()
            generator = faker_for(locale, Rng(int.from_bytes(digest[:8], "big")))
            found = _pools[(locale, method)] = tuple(
                getattr(generator, method)() for _ in range(size)
            )
    return found


_vocabularies: dict[str, tuple[str, ...]] = {}


def words(locale: str) -> tuple[str, ...]:
    """The locale's lorem word list (plain words, for text no provider claims)."""
    found = _vocabularies.get(locale)
    if found is None:
        found = _vocabularies[locale] = tuple(faker_for(locale, Rng(0)).get_words_list())
    return found


class ProviderContext:
    """What a provider sees: a seeded rng, the (resolved) schema, the property name."""

    __slots__ = ("rng", "schema", "name", "locale", "_fits")

    def __init__(
        self,
        rng: Rng,
        schema: Mapping[str, Any],
        name: str | None,
        locale: str,
        fits: Callable[[Any], bool],
    ) -> None:
        self.rng = rng
        self.schema = schema
        self.name = name
        self.locale = locale
        self._fits = fits

    @property
    def faker(self) -> Any:
        """The locale's Faker, drawing from this context's rng."""
        return faker_for(self.locale, self.rng)

    def pick(self, method: str) -> Any:
        """A value of a Faker method, drawn from a cached pool (fast)."""
        return self.rng.choice(pool(self.locale, method))

    def fits(self, value: Any) -> bool:
        """Whether `value` is valid against the schema this value is for."""
        return self._fits(value)


Provider = Callable[[ProviderContext], Any]


class _Decline:
    def __repr__(self) -> str:
        return "DECLINE"


DECLINE: Any = _Decline()  # a provider returns this to leave the value to the schema
P = TypeVar("P", bound=Provider)


@functools.lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """`avatarURL`, `avatar-url` and `Avatar URL` all become `avatar_url`."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")


class ProviderRegistry:
    """Named providers of one of three kinds; registering a taken name is an error."""

    def __init__(self) -> None:
        self._entries: dict[Kind, dict[str, Provider]] = {kind: {} for kind in KINDS}
        self.version = 0  # bumped on change so compiled plans know they are stale

    def register(self, name: str, fn: Provider, *, kind: Kind) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown provider kind {kind!r}; use one of {KINDS}")
        key = normalize_name(name) if kind == "name" else name
        entries = self._entries[kind]
        if key in entries:
            raise DuplicateProvider(key, kind)
        entries[key] = fn
        self.version += 1

    def unregister(self, name: str, *, kind: Kind) -> None:
        key = normalize_name(name) if kind == "name" else name
        del self._entries[kind][key]
        self.version += 1

    def provider(self, name: str, *, kind: Kind) -> Callable[[P], P]:
        """Decorator form of `register`."""

        def decorate(fn: P) -> P:
            self.register(name, fn, kind=kind)
            return fn

        return decorate

    def get(self, name: str, *, kind: Kind) -> Provider | None:
        return self._entries[kind].get(normalize_name(name) if kind == "name" else name)

    def for_property(self, name: str) -> Provider | None:
        """The provider for a property name: exact, else the longest `_`-suffix (`home_city`)."""
        parts = normalize_name(name).split("_")
        names = self._entries["name"]
        for start in range(len(parts)):
            found = names.get("_".join(parts[start:]))
            if found is not None:
                return found
        return None

    def names(self, kind: Kind) -> Iterator[str]:
        return iter(sorted(self._entries[kind]))

    def copy(self) -> ProviderRegistry:
        clone = ProviderRegistry()
        clone._entries = {kind: dict(entries) for kind, entries in self._entries.items()}
        return clone


# ---- built-in providers -------------------------------------------------------------------

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


def format(name: str) -> Callable[[P], P]:  # shadows the builtin, like schemathesis' own
    """Register a provider for a string `format` in the default registry."""
    return providers.provider(name, kind="format")


def field(name: str) -> Callable[[P], P]:
    """Register a provider for a property name in the default registry."""
    return providers.provider(name, kind="name")


def hint(name: str) -> Callable[[P], P]:
    """Register a provider that an `x-faker: <name>` hint selects, in the default registry."""
    return providers.provider(name, kind="hint")


# ---- strings matching a regular expression -------------------------------------------------
# A walker over the parse tree of `re`, compiled once per pattern into closures. It covers
# what real specs use (anchors, classes, quantifiers, groups, alternation, backreferences);
# lookarounds are skipped here and checked by the caller. Wide classes draw from lowercase
# letters and digits when they allow them, so `^bk_[A-Za-z0-9]{8,}$` reads `bk_8f3k2a0q`.

_sre: Any = importlib.import_module("re._parser")
_op: Any = importlib.import_module("re._constants")
_PRINTABLE = [chr(code) for code in range(32, 127)]
_CATEGORIES: dict[Any, Callable[[str], bool]] = {
    _op.CATEGORY_DIGIT: str.isdigit,
    _op.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdigit(),
    _op.CATEGORY_SPACE: str.isspace,
    _op.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
    _op.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
    _op.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
}
Emit = Callable[[Rng, list[str], dict[int, str], int], None]


def _charset(items: list[tuple[Any, Any]]) -> str:
    negate = any(op is _op.NEGATE for op, _ in items)

    def member(ch: str) -> bool:
        code = ord(ch)
        for op, av in items:
            if op is _op.LITERAL and code == av:
                return True
            if op is _op.RANGE and av[0] <= code <= av[1]:
                return True
            if op is _op.CATEGORY and av in _CATEGORIES and _CATEGORIES[av](ch):
                return True
        return False

    allowed = [ch for ch in _PRINTABLE if member(ch) != negate]
    if not allowed:  # only non-ASCII in the class: take its first code points
        wide = [chr(code) for code in range(0xA1, 0x2000)]
        allowed = [ch for ch in wide if member(ch) != negate][:64]
    if not allowed:
        raise ValueError("empty character class")
    preferred = [ch for ch in allowed if ch in _LOWER_ALNUM]
    return "".join(preferred or allowed)


def _single_width(items: Any) -> bool:
    return len(items) == 1 and items[0][0] in (_op.LITERAL, _op.IN, _op.ANY, _op.NOT_LITERAL)


def _alphabet(item: tuple[Any, Any]) -> str:
    op, av = item
    if op is _op.LITERAL:
        return chr(av)
    if op is _op.NOT_LITERAL:
        return _charset([(_op.NEGATE, None), (_op.LITERAL, av)])
    return _LOWER_ALNUM if op is _op.ANY else _charset(av)


def _compile_sequence(items: Any) -> Emit:
    parts = [_compile_item(op, av) for op, av in items]

    def emit(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
        for part in parts:
            part(rng, out, groups, stretch)

    return emit


def _chars(alphabet: str) -> Emit:
    def emit(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
        out.append(alphabet[rng.below(len(alphabet))])

    return emit


def _repeat(lo: int, hi: int, items: Any) -> Emit:
    inner, narrow = _compile_sequence(items), _single_width(items)
    alphabet = _alphabet(items[0]) if narrow else None

    def emit(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
        if hi == _op.MAXREPEAT:  # unbounded: a short, token-like run
            extra = rng.randint(stretch, stretch + 4) if narrow else min(rng.randint(0, 2), stretch)
            count = max(lo, extra) if narrow else lo + extra
        else:
            count = rng.randint(lo, min(hi, max(lo, stretch) + 6))
        if alphabet is not None:
            out.append(rng.token(count, alphabet))
            return
        for _ in range(count):
            inner(rng, out, groups, stretch)

    return emit


def _nothing(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
    return None


def _compile_item(op: Any, av: Any) -> Emit:  # noqa: C901 - one branch per regex construct
    if op in (_op.LITERAL, _op.NOT_LITERAL, _op.ANY, _op.IN):
        return _chars(_alphabet((op, av)))
    if op is _op.CATEGORY:
        return _chars(_charset([(op, av)]))
    if op in (_op.MAX_REPEAT, _op.MIN_REPEAT, _op.POSSESSIVE_REPEAT):
        return _repeat(av[0], av[1], av[2])
    if op is _op.SUBPATTERN or op is _op.ATOMIC_GROUP:
        group, inner = (
            (av[0], _compile_sequence(av[3]))
            if op is _op.SUBPATTERN
            else (None, _compile_sequence(av))
        )

        def emit_group(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
            start = len(out)
            inner(rng, out, groups, stretch)
            if group:
                groups[group] = "".join(out[start:])

        return emit_group
    if op is _op.BRANCH:
        branches = [_compile_sequence(alt) for alt in av[1]]

        def emit_branch(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
            branches[rng.below(len(branches))](rng, out, groups, stretch)

        return emit_branch
    if op is _op.GROUPREF:

        def emit_ref(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
            out.append(groups.get(av, ""))

        return emit_ref
    if op is _op.GROUPREF_EXISTS:  # (?(1)yes|no)
        group, yes = av[0], _compile_sequence(av[1])
        no = _compile_sequence(av[2]) if av[2] is not None else _nothing

        def emit_if(rng: Rng, out: list[str], groups: dict[int, str], stretch: int) -> None:
            (yes if group in groups else no)(rng, out, groups, stretch)

        return emit_if
    if op in (_op.AT, _op.ASSERT, _op.ASSERT_NOT):
        return _nothing
    raise ValueError(f"unsupported regular expression construct {op}")


class Pattern:
    """Strings matching one regular expression (raises `re.error`/`ValueError` if unsupported)."""

    __slots__ = ("source", "_emit", "_check")

    def __init__(self, source: str) -> None:
        self.source = source
        self._check = re.compile(source)
        self._emit = _compile_sequence(_sre.parse(source))

    def generate(self, rng: Rng, stretch: int = 6) -> str:
        """A matching string; with lookarounds, the best of a few tries."""
        for _ in range(12):
            out: list[str] = []
            self._emit(rng, out, {}, stretch)
            text = "".join(out)
            if self._check.search(text):
                break
        return text

    def matches(self, text: str) -> bool:
        return self._check.search(text) is not None


_patterns: dict[str, Pattern | Exception] = {}


def pattern(source: str) -> Pattern:
    """The cached generator for a pattern; raises the cached reason if it is unsupported."""
    found = _patterns.get(source)
    if found is None:
        try:
            found = Pattern(source)
        except (re.error, ValueError, OverflowError) as error:
            found = error
        _patterns[source] = found
    if isinstance(found, Exception):
        raise found
    return found
