"""The mock engine: answers any operation of any spec from its examples or its schemas."""

from __future__ import annotations

from typing import Any

import orjson

from mocks.fake import FakeData
from mocks.graphql import GraphQLMocker
from server.events import EventBus
from server.pipeline import Handler, OperationRequest
from server.responses import Reply
from server.schemas import standalone
from server.types import ApiTable, MediaSpec, OperationSpec


def success_status(spec: OperationSpec) -> str | None:
    codes = sorted(c for c in spec["responses"] if c.startswith("2") and c[1:].isdigit())
    return codes[0] if codes else None


class MockEngine:
    """Fallback for unbound operations: named examples first, else schema-generated data."""

    def __init__(
        self, table: ApiTable, *, seed: int = 0, bus: EventBus | None = None, **options: Any
    ) -> None:
        self.table = table
        self.seed = seed
        self.options = options
        self.fake = FakeData(seed)
        self.bind_graphql = GraphQLMocker(self.fake, bus)

    def body_for(self, spec: OperationSpec, status: str, media: MediaSpec) -> bytes:
        """The static answer of one operation, serialized once at startup."""
        examples = media.get("examples") or {}
        if examples:
            payload = next(iter(examples.values()))
            return payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        schema = media.get("schema")
        if not schema:
            return b""
        value = self.fake.instance(
            standalone(schema, self.table["defs"]), key=f"{spec['operation_id']}:{status}"
        )
        return orjson.dumps(value)

    def handler_for(self, spec: OperationSpec) -> Handler:
        status = success_status(spec)
        if status is None:
            reply = Reply(204)

            async def empty(request: OperationRequest[Any, Any]) -> Reply:
                return reply

            return empty
        response = spec["responses"][status]
        empty_media: MediaSpec = {}
        media_type, media = next(
            iter(response["content"].items()), ("application/json", empty_media)
        )
        body = self.body_for(spec, status, media)
        code = int(status)

        async def static(request: OperationRequest[Any, Any]) -> Reply:
            return Reply(code, body, media_type=media_type)

        return static
