"""The mock engine: answers any operation of any spec from its examples or its schemas."""

from __future__ import annotations

from typing import Any

import orjson

from server.pipeline import Handler, OperationRequest
from server.responses import Reply
from server.types import ApiTable, MediaSpec, OperationSpec


def success_status(spec: OperationSpec) -> str | None:
    codes = sorted(c for c in spec["responses"] if c.startswith("2") and c[1:].isdigit())
    return codes[0] if codes else None


class MockEngine:
    """Fallback for unbound operations: named examples first, else schema-generated data."""

    def __init__(self, table: ApiTable, *, seed: int = 0, **options: Any) -> None:
        self.table = table
        self.seed = seed
        self.options = options

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
        examples = media.get("examples") or {}
        if examples:
            payload = next(iter(examples.values()))
            body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        else:
            body = b"" if not media else orjson.dumps(None)
        code = int(status)

        async def static(request: OperationRequest[Any, Any]) -> Reply:
            return Reply(code, body, media_type=media_type)

        return static
