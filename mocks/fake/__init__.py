"""Deterministic fake data from JSON Schema 2020-12 (see `mocks.fake.data`).

Modules, in the order a value is made: `schema` and `merge` prepare a schema, `compiler` turns
it into a tree of `nodes` and `containers`, which draw from an `rng` and ask the `registry`'s
providers (`formats`: the built-in ones; `regex`: strings for `pattern`) for realistic values.
"""

from mocks.fake.data import FakeData
from mocks.fake.errors import DuplicateProvider, FakeDataError, GenerationError, UnknownExample

__all__ = ["DuplicateProvider", "FakeData", "FakeDataError", "GenerationError", "UnknownExample"]
