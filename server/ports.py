"""The pipeline's types and the Protocols its parts plug in through.

Every step factory, error format and access rule takes these; none of them imports the
pipeline (server.pipeline), which composes them. Handlers, mocks and generated/ get
`OperationRequest` from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from starlette.datastructures import Headers

from kkcore.errors import ApiError
from kkcore.types import OperationSpec, Receive, Scope
from server.identity import Identity
from server.responses import Reply

P = TypeVar("P")
B = TypeVar("B")


class OperationRequest(Generic[P, B]):
    """What a handler or mock receives: validated, typed inputs of one call."""

    __slots__ = (
        "operation",
        "params",
        "body",
        "identity",
        "request_id",
        "headers",
        "state",
        "services",
    )

    def __init__(
        self,
        operation: OperationSpec,
        params: P,
        body: B,
        identity: Identity | None,
        request_id: str,
        headers: Headers,
        services: Mapping[str, Any] | None = None,
    ) -> None:
        self.operation = operation
        self.params = params
        self.body = body
        self.identity = identity
        self.request_id = request_id
        self.headers = headers
        self.state: dict[str, Any] = {}
        # App-wide services (runtime.extras: the authorization server, the event bus...).
        self.services: Mapping[str, Any] = services or {}


Handler = Callable[[OperationRequest[Any, Any]], Awaitable[Reply]]


class Call:
    """The mutable state of one request as it passes the steps."""

    __slots__ = (
        "scope",
        "receive",
        "request_id",
        "headers",
        "params",
        "body",
        "identity",
        "reply",
        "extra",
    )

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.request_id: str = scope.get("kk.request_id", "")
        self.headers = Headers(scope=scope)
        self.params: dict[str, Any] = {}
        self.body: Any = None
        self.identity: Identity | None = None
        self.reply: Reply | None = None
        self.extra: list[tuple[bytes, bytes]] = []


Step = Callable[[Call], Awaitable[None]]
# How an operation writes an error (server.errorformats picks one per operation).
ErrorRenderer = Callable[[ApiError, Call], Reply]


@dataclass
class Operation:
    """One operation compiled for serving: spec, handler and the steps it runs."""

    spec: OperationSpec
    handler: Handler
    source: str
    steps: list[Step] = field(default_factory=list)
    produces: tuple[str, ...] = ()
    render_error: ErrorRenderer | None = None


class OwnershipSource(Protocol):
    """Answers "whose is this?" for the resources it declares in `resources`."""

    resources: frozenset[str]

    async def owners(self, resource: str, resource_id: str) -> frozenset[str] | None:
        """The subject ids owning the resource (users, practitioners), None if unknown."""
        ...

    async def share_expiry(
        self, owner: str, grantees: frozenset[str], kind: str
    ) -> datetime | None:
        """When the latest active (unrevoked) share of `kind` from `owner` to any of
        `grantees` expires, or None if there is none."""
        ...
