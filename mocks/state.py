"""The sandbox's shared state, handed to the engine's parts instead of the engine itself.

`MockEngine` builds one `SandboxState` (the spec's table and catalog, the store and the
records over it, fake data, the bus, the sandbox file) and gives it to Crud, the webhook
dispatcher, the GraphQL store and the ownership source, with the few callbacks each needs
(see `CrudHooks` in mocks.crud). No part imports the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from kkcore.types import ApiTable
from mocks.fake import FakeData
from mocks.records import Records
from mocks.resources import Catalog
from mocks.seeding import SandboxData
from mocks.store import Store
from server.events import EventBus


@dataclass(frozen=True)
class SandboxState:
    """What every part of one sandbox reads and writes."""

    table: ApiTable
    catalog: Catalog
    store: Store
    records: Records
    fake: FakeData
    bus: EventBus | None
    sandbox: SandboxData
