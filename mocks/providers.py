"""Value providers for fake data: a registry by property name, format and `x-faker` hint.

The parts live in `mocks.fake` (`registry`, `formats`, `rng`, `regex`); this module is where
users register their own (`@mocks.providers.format("x-sku")`) and find the building blocks.
"""

from __future__ import annotations

from collections.abc import Callable

from mocks.fake.errors import DuplicateProvider, FakeDataError
from mocks.fake.formats import default_registry, providers
from mocks.fake.regex import Pattern, pattern
from mocks.fake.registry import (
    DECLINE,
    KINDS,
    Kind,
    P,
    Provider,
    ProviderContext,
    ProviderRegistry,
    normalize_name,
)
from mocks.fake.rng import Rng, faker_for, pool, words

__all__ = [
    "DECLINE",
    "KINDS",
    "DuplicateProvider",
    "FakeDataError",
    "Kind",
    "Pattern",
    "Provider",
    "ProviderContext",
    "ProviderRegistry",
    "Rng",
    "default_registry",
    "faker_for",
    "field",
    "format",
    "hint",
    "normalize_name",
    "pattern",
    "pool",
    "providers",
    "words",
]


def format(name: str) -> Callable[[P], P]:  # shadows the builtin, like schemathesis' own
    """Register a provider for a string `format` in the default registry."""
    return providers.provider(name, kind="format")


def field(name: str) -> Callable[[P], P]:
    """Register a provider for a property name in the default registry."""
    return providers.provider(name, kind="name")


def hint(name: str) -> Callable[[P], P]:
    """Register a provider that an `x-faker: <name>` hint selects, in the default registry."""
    return providers.provider(name, kind="hint")
