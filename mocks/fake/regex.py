"""Strings matching a regular expression.

A walker over the parse tree of `re`, compiled once per pattern into closures. It covers
what real specs use (anchors, classes, quantifiers, groups, alternation, backreferences);
lookarounds are skipped here and checked by the caller. Wide classes draw from lowercase
letters and digits when they allow them, so `^bk_[A-Za-z0-9]{8,}$` reads `bk_8f3k2a0q`.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from mocks.fake.rng import LOWER_ALNUM, Rng

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
    preferred = [ch for ch in allowed if ch in LOWER_ALNUM]
    return "".join(preferred or allowed)


def _single_width(items: Any) -> bool:
    return len(items) == 1 and items[0][0] in (_op.LITERAL, _op.IN, _op.ANY, _op.NOT_LITERAL)


def _alphabet(item: tuple[Any, Any]) -> str:
    op, av = item
    if op is _op.LITERAL:
        return chr(av)
    if op is _op.NOT_LITERAL:
        return _charset([(_op.NEGATE, None), (_op.LITERAL, av)])
    return LOWER_ALNUM if op is _op.ANY else _charset(av)


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
