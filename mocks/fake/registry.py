"""Value providers for fake data: the context a provider sees, and a registry of
providers by property name, format and `x-faker` hint."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, TypeVar

from mocks.fake.errors import DuplicateProvider
from mocks.fake.rng import Rng, faker_for, pool

Kind = Literal["name", "format", "hint"]
KINDS: tuple[Kind, ...] = ("name", "format", "hint")


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
