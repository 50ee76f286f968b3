"""Find handler groups and the mock engine through entry points, never by importing them."""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from kkcore.errors import StartupError

HANDLERS_GROUP = "kk.handlers"
MOCKS_GROUP = "kk.mocks"
GRAPHQL_GROUP = "kk.graphql"


@functools.cache
def declared(group: str) -> tuple[EntryPoint, ...]:
    """The entry points of `group`, looked up once per process: the lookup reads the metadata
    of every installed distribution (about 8 ms), and each app build asks for three groups.
    Installing a plugin takes a restart, as with any import."""
    return tuple(sorted(entry_points(group=group), key=lambda e: e.name))


def load(group: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for ep in declared(group):
        try:
            found[ep.name] = ep.load()
        except Exception as e:  # a broken plugin must name itself at startup
            raise StartupError(
                f"entry point {group}:{ep.name} ({ep.value}) failed to load: {e}"
            ) from e
    return found


def handler_groups() -> list[Any]:
    """Every OperationGroup that installed packages declare under `kk.handlers`."""
    groups: list[Any] = []
    for value in load(HANDLERS_GROUP).values():
        groups.extend(value() if callable(value) else value)
    return groups


def handler_bindables() -> list[list[Any]]:
    """ariadne bindables that installed packages declare under `kk.graphql`."""
    return [list(v() if callable(v) else v) for v in load(GRAPHQL_GROUP).values()]


def mock_factory() -> Any:
    """The mock engine's factory (`kk.mocks` entry point named `default`)."""
    factories = load(MOCKS_GROUP)
    if "default" not in factories:
        raise StartupError("no mock engine installed (entry point kk.mocks:default)")
    return factories["default"]
