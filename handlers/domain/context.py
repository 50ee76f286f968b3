"""The domain of one app: database, event bus, clock and the services built on them.

Built once per app by `handlers.lifecycle` and kept in `runtime.extras["domain"]`; handlers
and GraphQL resolvers reach it through `domain_of(request.services)` and ask it for a
service by class (`domain.get(BookingService)`), constructed on first use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from handlers.storage.database import Database
from server.events import EventBus

T = TypeVar("T")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(iso: str) -> Clock:
    """A clock stuck at `iso` (the `now` option of tests and `kk sandbox`)."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)
    return lambda: moment


class PublishMarks(Protocol):
    """What the app's webhook worker is told of the events a unit of work publishes."""

    def sent(self, event_ids: list[str]) -> None:
        """On the bus: set their published mark in the next round."""


@dataclass
class Domain:
    db: Database
    bus: EventBus | None = None
    clock: Clock = system_clock
    data_dir: Path = Path(".kk")
    mode: str = "sandbox"
    spec_files: Mapping[str, Path] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    # Awaited once before the first use (migrate, seed); see `ready`.
    preparers: list[Callable[[Domain], Awaitable[None]]] = field(default_factory=list)
    # Set while the webhook worker runs (handlers.domain.delivery); see handlers.domain.unit.
    published: PublishMarks | None = None
    _services: dict[type, Any] = field(default_factory=dict)
    _ready: bool = False
    _lock: asyncio.Lock | None = None

    def get(self, cls: type[T]) -> T:
        """The app's one instance of a service class (`cls(domain)`), built on first use."""
        found = self._services.get(cls)
        if found is None:
            found = self._services[cls] = cls(self)  # type: ignore[call-arg]
        return found

    async def ready(self) -> Domain:
        """Migrated and seeded, whether or not the app's lifespan ran (in-process test apps
        skip it); cheap after the first call."""
        if self._ready:
            return self
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._ready:
                for prepare in self.preparers:
                    await prepare(self)
                self._ready = True
        return self

    def unready(self) -> None:
        """Prepare again before the next use (after a reset)."""
        self._ready = False


def domain_of(services: Mapping[str, Any]) -> Domain:
    """The app's Domain from `request.services` (or `runtime.extras`, a GraphQL context)."""
    domain = services.get("domain")
    if not isinstance(domain, Domain):
        raise LookupError("this app has no Klear Karma domain (handlers are not bound)")
    return domain
