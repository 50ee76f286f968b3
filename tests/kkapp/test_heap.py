"""A served app's start-up heap is frozen once its lifespan reports start-up complete
(kkapp.heap), so full collections under load walk only what requests made since."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from kkapp.heap import MOCK_THRESHOLDS, frozen_after_startup, thresholds_for


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()  # the test process's heap goes back to the collector
        gc.set_threshold(*thresholds)


def _app(built_at_startup: list[object]) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        built_at_startup.append({"table": [object() for _ in range(1000)]})
        yield

    async def hello(_: object) -> PlainTextResponse:
        return PlainTextResponse("hi")

    return Starlette(routes=[Route("/", hello)], lifespan=lifespan)


def test_the_heap_is_frozen_once_startup_completes_and_requests_are_served(unfrozen: None) -> None:
    built: list[object] = []
    before = gc.get_threshold()
    with TestClient(frozen_after_startup(_app(built))) as client:
        assert built, "the app's own start-up ran first"
        assert gc.get_freeze_count() >= 1000
        assert gc.get_threshold() == before  # (no thresholds given: CPython's kept)
        assert client.get("/").text == "hi"


@pytest.mark.parametrize("mode", ["mock", "sandbox", "serve", "strict"])
def test_only_the_mock_raises_the_collectors_thresholds(unfrozen: None, mode: str) -> None:
    before = gc.get_threshold()
    with TestClient(frozen_after_startup(_app([]), thresholds_for(mode))) as client:
        assert client.get("/").text == "hi"
        if mode == "mock":  # its store is not frozen: a young collection every 5,000, not 700
            assert gc.get_threshold() == MOCK_THRESHOLDS
        else:
            assert gc.get_threshold() == before


def test_an_app_served_without_the_wrapper_leaves_the_heap_alone(unfrozen: None) -> None:
    before = gc.get_threshold()
    with TestClient(_app([])) as client:
        assert client.get("/").text == "hi"
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == before
