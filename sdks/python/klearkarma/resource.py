"""Bases of the generated namespaces (`client.bookings`, ...): each method is one call."""

from __future__ import annotations

from typing import Any

from klearkarma.generated.operations import OPERATIONS
from klearkarma.transport import AsyncTransport, SyncTransport


class SyncResource:
    def __init__(self, transport: SyncTransport) -> None:
        self._transport = transport

    def _call(self, operation_id: str, **arguments: Any) -> Any:
        return self._transport.call(OPERATIONS[operation_id], arguments)


class AsyncResource:
    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport

    async def _call(self, operation_id: str, **arguments: Any) -> Any:
        return await self._transport.call(OPERATIONS[operation_id], arguments)
