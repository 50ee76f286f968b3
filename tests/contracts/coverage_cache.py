"""Schemathesis' coverage cases of an operation, kept between `make check` runs.

Building an operation's coverage cases (the boundary values and negative cases of every
parameter and body, drawn with hypothesis) is about half the CPU of the REST contract test:
some 3 s for a large body, 20-45 s over the 43 operations. Under the `check` hypothesis profile
(`make check`, the quick loop) the cases of an operation are kept in pytest's cache directory
under a key of everything they are built from: the served schema, contracts/schemathesis.toml,
the operation and the Schemathesis version; a changed spec builds them again. The cases are a
draw, so a kept set is one sample: `make unit`, `make test` and CI (the `ci` profile) draw
them afresh every run, as Schemathesis does.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import hypothesis
from schemathesis.core import NOT_SET
from schemathesis.generation.case import Case
from schemathesis.generation.hypothesis import builder
from schemathesis.schemas import APIOperation

from contracts import rest

PROFILE_THAT_KEEPS = "check"
FORMAT = "2"  # of the kept files: a change here builds every operation's cases again


def key(operation: APIOperation) -> str:
    parts = [
        json.dumps(operation.schema.raw_schema, sort_keys=True, default=str),
        Path(rest.CONFIG).read_text(encoding="utf-8") if rest.CONFIG else "",
        operation.label,
        version("schemathesis"),
        FORMAT,
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _case(slots: dict[str, Any]) -> Case:
    """A Case from its slots, set past its `__setattr__` (which reads `_meta`, not yet there)."""
    case = Case.__new__(Case)
    for name, value in slots.items():
        object.__setattr__(case, name, value)
    return case


class _Pickler(pickle.Pickler):
    """Cases refer to their operation (and through it the whole schema): kept by label; and
    to Schemathesis' NOT_SET (no body), which is compared by identity."""

    def persistent_id(self, obj: Any) -> Any:
        if obj is NOT_SET:
            return ("not set",)
        return ("operation", obj.label) if isinstance(obj, APIOperation) else None

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not Case:
            return NotImplemented
        slots = {n: getattr(obj, n) for n in Case.__slots__ if hasattr(obj, n)}
        return _case, (slots,)


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, operation: APIOperation) -> None:
        super().__init__(io.BytesIO(data))
        self.operation = operation

    def persistent_load(self, pid: Any) -> Any:
        if pid == ("not set",):
            return NOT_SET
        if pid != ("operation", self.operation.label):
            raise pickle.UnpicklingError(f"cases of another operation: {pid!r}")
        return self.operation


def _kept(folder: Path, real: Callable[..., Any]) -> Callable[..., Any]:
    def add_coverage(test: Any, operation: APIOperation, *args: Any, **kwargs: Any) -> Any:
        file = folder / f"{key(operation)}.pickle"
        with contextlib.suppress(OSError, pickle.PickleError, EOFError, AttributeError):
            cases, unserializable = _Unpickler(file.read_bytes(), operation).load()
            for case in cases:  # attached in the order add_coverage attached them
                test = hypothesis.example(case=case)(test)
            if unserializable:
                builder.UnserializablePayloadMark.set(test, unserializable)
            return test
        before = len(getattr(test, "hypothesis_explicit_examples", ()))
        test = real(test, operation, *args, **kwargs)
        added = [e.kwargs["case"] for e in test.hypothesis_explicit_examples[before:]]
        buffer = io.BytesIO()
        _Pickler(buffer).dump((added, builder.UnserializablePayloadMark.get(test)))
        folder.mkdir(parents=True, exist_ok=True)
        partial = file.with_suffix(f".{os.getpid()}.tmp")  # (xdist workers share the folder)
        partial.write_bytes(buffer.getvalue())
        partial.replace(file)
        return test

    return add_coverage


@contextlib.contextmanager
def kept_coverage(folder: Path) -> Iterator[None]:
    """Within the block, operation tests built under the `check` profile reuse kept cases."""
    if hypothesis.settings.get_current_profile_name() != PROFILE_THAT_KEEPS:
        yield
        return
    real = builder.add_coverage
    builder.add_coverage = _kept(folder, real)
    try:
        yield
    finally:
        builder.add_coverage = real
