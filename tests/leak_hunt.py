"""An opt-in pytest plugin that finds the test leaking a connection, socket or transport:
`pytest -p tests.leak_hunt ...` collects the garbage after each test's teardown, so whatever
that test left to the collector fails *its* teardown (as an unraisable exception, which the
"error" filter turns into an error) instead of a later test's setup. With
`PYTHONTRACEMALLOC=20` the error also says where the object was allocated.

Not loaded by default: a full collection after every test cost ~0.47 s on average (p95 0.8 s,
329 tests under xdist on a loaded machine, issue 18), some 12 minutes of CPU over the suite.
"""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest
from _pytest.unraisableexception import collect_unraisable


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    yield
    gc.collect()
    collect_unraisable(item.config)  # (pytest's own check ran before this collection)
