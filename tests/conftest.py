from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from contracts.throwaway import RedisServer, ThrowawayError


def _import_anyio_parts() -> None:
    """anyio (4.12+) imports its parts lazily, on first use. A first use inside a request runs
    deep in the call stack, and since anyio carries a pytest plugin its modules then go through
    pytest's assertion rewriter there, which trips CPython 3.11's AST recursion check
    ("SystemError: AST constructor recursion depth mismatch", a static file served in
    test_headers_and_docs). Import them all here, at a shallow depth, once."""
    import importlib
    import pkgutil

    import anyio

    for info in pkgutil.walk_packages(anyio.__path__, "anyio."):
        if info.name.endswith(("pytest_plugin", "to_interpreter", "_trio")):
            continue
        importlib.import_module(info.name)


_import_anyio_parts()

# Hypothesis profiles: "ci" (the default, what `make unit` and CI run) keeps every test's own
# example count; "check" (`make check` sets HYPOTHESIS_PROFILE=check) caps each property at
# CHECK_EXAMPLES for the inner loop. Loaded here, before any test module builds its `settings`.
# Neither has a deadline: speed is measured side by side in bench/, never by a timed test, and
# an example past Hypothesis' 200 ms on a loaded machine failed a correct test (DeadlineExceeded).
CHECK_EXAMPLES = 20
settings.register_profile("ci", settings.get_profile("default"), deadline=None)
settings.register_profile("check", max_examples=CHECK_EXAMPLES, deadline=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

# Fixtures that start a server process (a PostgreSQL cluster, redis-server) and markers of tests
# that drive one (Chromium): such a test is `slow`, left out of `make check`. Tests that run
# Node tools carry the mark themselves.
SERVER_FIXTURES = frozenset({"postgres_server", "redis_url"})
SERVER_MARKERS = ("redis", "browser")
SERVER_PARAMS = frozenset({"postgresql"})  # a backend parameter that asks for the cluster


def starts_a_server(item: pytest.Item) -> bool:
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if any(item.get_closest_marker(name) for name in SERVER_MARKERS):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(p, str) and p in SERVER_PARAMS for p in params)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if starts_a_server(item):
            item.add_marker(pytest.mark.slow)
        cap_examples(item)


def cap_examples(item: pytest.Item) -> None:
    """Under the "check" profile, a test's own `@settings(max_examples=N)` is capped too: a
    decorator's explicit value otherwise wins over any profile. Hypothesis reads the settings
    from the test function when it runs, so replacing them here is enough."""
    if PROFILE != "check":
        return
    obj = getattr(item, "obj", None)
    test: Any = getattr(obj, "__func__", obj)  # a method's function carries its settings
    own = getattr(test, "_hypothesis_internal_use_settings", None)
    if isinstance(own, settings) and own.max_examples > CHECK_EXAMPLES:
        test._hypothesis_internal_use_settings = settings(own, max_examples=CHECK_EXAMPLES)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free loopback port, for the whole session (CI installs it)."""
    server = RedisServer(free_port())
    try:
        url = server.start()
    except ThrowawayError as e:
        pytest.fail(f"{e} (.ci/run installs it)")
    try:
        yield url
    finally:
        server.stop()
