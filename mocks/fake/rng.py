"""Randomness for fake data: a splitmix64 `Rng`, and Faker-backed vocabularies drawn
from it (so Faker output is as deterministic as the rng)."""

from __future__ import annotations

import hashlib
import random
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from faker import Faker

if TYPE_CHECKING:
    from _typeshed import SupportsLenAndGetItem


T = TypeVar("T")
_M64 = (1 << 64) - 1
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


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

    def token(self, length: int = 6, alphabet: str = LOWER_ALNUM) -> str:
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
