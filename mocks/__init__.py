"""The sandbox engine: fake data from schemas (spec-agnostic)."""

from mocks.fake import FakeData, GenerationError, UnknownExample
from mocks.providers import (
    DECLINE,
    DuplicateProvider,
    FakeDataError,
    Provider,
    ProviderContext,
    ProviderRegistry,
    default_registry,
    field,
    format,
    hint,
    providers,
)

__all__ = [
    "DECLINE",
    "DuplicateProvider",
    "FakeData",
    "FakeDataError",
    "GenerationError",
    "Provider",
    "ProviderContext",
    "ProviderRegistry",
    "UnknownExample",
    "default_registry",
    "field",
    "format",
    "hint",
    "providers",
]
