"""Providers: the registry, built-in providers, the deterministic rng, the pattern generator."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mocks
from mocks import (
    DuplicateProvider,
    FakeData,
    ProviderContext,
    ProviderRegistry,
    default_registry,
)
from mocks.providers import Rng, normalize_name, pattern


def always(_: Any) -> bool:
    return True


def context(seed: int = 1, schema: dict[str, Any] | None = None) -> ProviderContext:
    return ProviderContext(Rng(seed), schema or {}, "field", "en_US", always)


# ---- the registry -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["name", "format", "hint"])
def test_registry_rejects_a_duplicate_name(kind: Any) -> None:
    registry = ProviderRegistry()
    registry.register("colour", lambda ctx: "red", kind=kind)
    with pytest.raises(DuplicateProvider, match="colour"):
        registry.register("colour", lambda ctx: "blue", kind=kind)


def test_property_names_are_compared_in_snake_case() -> None:
    registry = ProviderRegistry()
    registry.register("avatarURL", lambda ctx: "x", kind="name")
    with pytest.raises(DuplicateProvider):
        registry.register("avatar_url", lambda ctx: "y", kind="name")
    assert registry.for_property("Avatar-URL") is not None


def test_the_same_name_may_serve_different_kinds() -> None:
    registry = ProviderRegistry()
    registry.register("email", lambda ctx: "a", kind="name")
    registry.register("email", lambda ctx: "b", kind="format")
    assert registry.get("email", kind="name") is not registry.get("email", kind="format")


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        ProviderRegistry().register("x", lambda ctx: 1, kind="colour")  # type: ignore[arg-type]


def test_the_default_registry_rejects_redefining_a_built_in() -> None:
    with pytest.raises(DuplicateProvider):
        mocks.format("email")(lambda ctx: "x")


def test_property_names_match_by_trailing_words() -> None:
    assert mocks.providers.for_property("home_city") is mocks.providers.for_property("city")
    assert mocks.providers.for_property("deletedAt") is mocks.providers.for_property("at")
    assert mocks.providers.for_property("nickname_xyz") is None


def test_normalize_name_handles_camel_kebab_and_spaces() -> None:
    assert normalize_name("avatarURL") == "avatar_url"
    assert normalize_name("Postal-Code") == "postal_code"
    assert normalize_name("time zone") == "time_zone"


def test_a_registered_property_provider_is_used() -> None:
    registry = default_registry()

    @registry.provider("favourite_colour", kind="name")
    def colour(ctx: ProviderContext) -> str:
        return ctx.rng.choice(["teal", "ochre"])

    schema = {
        "type": "object",
        "required": ["favouriteColour"],
        "properties": {"favouriteColour": {"type": "string"}},
    }
    assert FakeData(3, providers=registry).instance(schema, key="k")["favouriteColour"] in {
        "teal",
        "ochre",
    }
    assert FakeData(3).instance(schema, key="k")["favouriteColour"] not in {"teal", "ochre"}


def test_format_and_field_decorators_register_in_the_default_registry() -> None:
    schema = {
        "type": "object",
        "required": ["code", "tier"],
        "properties": {"code": {"type": "string", "format": "x-sku"}, "tier": {"type": "string"}},
    }
    fake = FakeData(1)
    before = fake.instance(schema, key="k")
    try:
        mocks.format("x-sku")(lambda ctx: f"SKU-{ctx.rng.randint(1000, 9999)}")
        mocks.field("tier")(lambda ctx: "gold")
        value = fake.instance(schema, key="k")  # plans made before the change are not reused
    finally:
        mocks.providers.unregister("x-sku", kind="format")
        mocks.providers.unregister("tier", kind="name")
    assert re.fullmatch(r"SKU-\d{4}", value["code"]) and value["tier"] == "gold"
    assert fake.instance(schema, key="k") == before


def test_a_hint_provider_is_chosen_by_x_faker() -> None:
    registry = default_registry()
    registry.register("planet", lambda ctx: ctx.rng.choice(["Mars", "Venus"]), kind="hint")
    value = FakeData(5, providers=registry).instance(
        {"type": "string", "x-faker": "planet"}, key="k"
    )
    assert value in {"Mars", "Venus"}


def test_a_provider_value_that_does_not_fit_falls_back_to_the_schema() -> None:
    registry = default_registry()
    registry.register("shout", lambda ctx: "far too long for the schema", kind="hint")
    schema = {"type": "string", "maxLength": 5, "x-faker": "shout"}
    assert len(FakeData(1, providers=registry).instance(schema, key="k")) <= 5


def test_providers_see_the_schema_and_can_check_a_candidate() -> None:
    seen: list[tuple[Any, bool, bool]] = []

    def spy(ctx: ProviderContext) -> str:
        seen.append((ctx.schema.get("maxLength"), ctx.fits("abc"), ctx.fits("abcdef")))
        return "abc"

    registry = default_registry()
    registry.register("spy", spy, kind="hint")
    FakeData(1, providers=registry).instance(
        {"type": "string", "maxLength": 4, "x-faker": "spy"}, key="k"
    )
    assert seen == [(4, True, False)]


def test_the_provider_faker_is_seeded_from_the_context() -> None:
    assert context(9).faker.name() == context(9).faker.name()
    assert context(9).faker.name() != context(10).faker.name()


# ---- built-in providers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        ("date-time", "2024-01-01T00:00:00Z"),
        ("date", "2024-01-01"),
        ("time", "10:00:00Z"),
        ("email", "a@example.com"),
        ("uri", "https://example.com/"),
        ("uuid", "00000000-0000-4000-8000-000000000000"),
        ("hostname", "example.com"),
        ("ipv4", "192.0.2.1"),
        ("ipv6", "2001:db8::1"),
        ("duration", "PT1M"),
        ("uri-reference", "/a"),
        ("json-pointer", "/a"),
        ("relative-json-pointer", "0/a"),
        ("uri-template", "https://example.com/{id}"),
        ("regex", "^a$"),
    ],
)
@given(seed=st.integers(0, 2**64 - 1))
def test_every_built_in_format_provider_yields_valid_strings(
    fmt: str, value: str, seed: int
) -> None:
    check = jsonschema_rs.validator_for({"type": "string", "format": fmt}, validate_formats=True)
    assert check.is_valid(value)  # the format is really checked, so the test can fail
    provider = mocks.providers.get(fmt, kind="format")
    assert provider is not None
    assert check.is_valid(provider(context(seed)))


def test_dates_stay_in_2024_and_updates_follow_creation() -> None:
    created = mocks.providers.for_property("created_at")
    updated = mocks.providers.for_property("updated_at")
    assert created is not None and updated is not None
    for seed in range(50):
        first, second = created(context(seed)), updated(context(seed))
        assert first.startswith("2024-") and second.startswith("2024-") and first < second


@given(seed=st.integers(0, 2**64 - 1))
def test_rating_is_one_to_five_with_one_decimal_within_schema_bounds(seed: int) -> None:
    rating = mocks.providers.for_property("rating")
    assert rating is not None
    value = rating(context(seed, {"type": "number", "minimum": 0, "maximum": 4}))
    assert 1.0 <= value <= 4.0 and round(value, 1) == value
    assert isinstance(rating(context(seed, {"type": "integer"})), int)


def test_ids_keep_the_prefix_of_their_property_name() -> None:
    ident = mocks.providers.for_property("booking_id")
    assert ident is not None
    ctx = ProviderContext(Rng(4), {"type": "string"}, "booking_id", "en_US", always)
    assert re.fullmatch(r"booking_[a-z0-9]{6}", ident(ctx))


def test_phone_numbers_take_the_shape_the_schema_asks_for() -> None:
    phone = mocks.providers.for_property("phone")
    assert phone is not None
    e164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
    ctx = ProviderContext(Rng(1), {}, "phone", "en_US", lambda v: bool(e164.match(v)))
    assert e164.match(phone(ctx))


def test_language_and_currency_are_codes() -> None:
    language, currency = (
        mocks.providers.for_property("language"),
        mocks.providers.for_property("currency"),
    )
    assert language is not None and currency is not None
    assert re.fullmatch(r"[a-z]{2}", language(context()))
    assert re.fullmatch(r"[A-Z]{3}", currency(context()))


# ---- rng and patterns ---------------------------------------------------------------------


def test_rng_is_splitmix64_so_every_machine_draws_the_same_numbers() -> None:
    # Reference outputs of splitmix64 seeded with 0 (Vigna's C implementation).
    rng = Rng(0)
    assert [rng.next64() for _ in range(3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]


def test_rng_supports_the_random_api_deterministically() -> None:
    first, second = Rng(7), Rng(7)
    draws = [
        first.randint(1, 6),
        first.choice("abc"),
        first.random(),
        first.uniform(1, 2),
        first.sample(range(9), 3),
    ]
    assert draws == [
        second.randint(1, 6),
        second.choice("abc"),
        second.random(),
        second.uniform(1, 2),
        second.sample(range(9), 3),
    ]
    assert Rng(7).token(12) != Rng(8).token(12)


PATTERNS = [
    r"^bk_[a-zA-Z0-9]{8,}$",
    r"^pet_[a-z0-9]{6,12}$",
    r"^[A-Z][a-z]+(-[a-z]+)*$",
    r"^\+?[1-9]\d{1,14}$",
    r"^(?=.*\d)[^/\s]{2,}$",
    r"^(a|bc)\1$",
    r"^[0-9A-Z -]{3,10}$",
    r"^97[89][0-9]{10}$",
    r"^[^\x00-\x7f]+$",
    r"^x-[a-z]+$",
    r"^[\w.+-]+@[a-z]+\.(com|org)$",
    r"^\d{4}-\d{2}-\d{2}$",
    r"^[A-Z]{3}$",
    r"^#(?:[0-9a-fA-F]{3}){1,2}$",
    r"^\S+$",
    r"colou?r",
]


@pytest.mark.parametrize("source", PATTERNS)
@given(seed=st.integers(0, 2**64 - 1))
def test_pattern_strings_match_for_python_and_jsonschema_rs(source: str, seed: int) -> None:
    text = pattern(source).generate(Rng(seed))
    assert re.search(source, text), text
    assert jsonschema_rs.validator_for({"pattern": source}).is_valid(text), text


def test_wide_character_classes_read_as_lowercase_tokens() -> None:
    assert re.fullmatch(r"bk_[a-z0-9]{8,12}", pattern(r"^bk_[a-zA-Z0-9]{8,}$").generate(Rng(2)))


def test_unsupported_patterns_raise_a_clear_error() -> None:
    with pytest.raises(Exception, match="bad escape|unsupported|unknown"):
        pattern(r"^\p{L}+$")


def test_a_provider_may_decline_and_leave_the_value_to_the_schema() -> None:
    registry = default_registry()
    registry.register("shy", lambda ctx: mocks.DECLINE, kind="hint")
    schema = {"type": ["string", "null"], "pattern": "^u_[a-z]{4}$", "x-faker": "shy"}
    values = [FakeData(seed, providers=registry).instance(schema, key="k") for seed in range(30)]
    assert any(v is not None for v in values)
    assert all(v is None or re.fullmatch(r"u_[a-z]{4}", v) for v in values)


def test_a_provider_returning_a_date_gives_its_iso_string() -> None:
    registry = default_registry()
    registry.register("day", lambda ctx: date(2024, 2, 29), kind="hint")
    schema = {"type": "string", "format": "date", "x-faker": "day"}
    assert FakeData(1, providers=registry).instance(schema, key="k") == "2024-02-29"
