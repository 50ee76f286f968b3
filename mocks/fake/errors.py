"""Errors of the fake-data generator: one base, `FakeDataError`."""

from __future__ import annotations

from collections.abc import Sequence


class FakeDataError(Exception):
    """Base of every error raised by the fake-data generator."""


class DuplicateProvider(FakeDataError):
    def __init__(self, name: str, kind: str) -> None:  # a registry.Kind
        super().__init__(f"a {kind} provider named {name!r} is already registered")
        self.name = name
        self.kind = kind


class GenerationError(FakeDataError):
    """No valid value could be produced; `pointer` names the schema part at fault."""

    def __init__(self, pointer: str, reason: str) -> None:
        super().__init__(f"{pointer}: {reason}")
        self.pointer = pointer
        self.reason = reason


class UnknownExample(FakeDataError):
    """A named example was asked for that the media type does not have."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        listed = ", ".join(available) or "none"
        super().__init__(f"no example named {name!r}; available: {listed}")
        self.name = name
        self.available = list(available)
