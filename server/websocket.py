"""The WebSocket API, driven by an AsyncAPI table: every inbound frame validated by its `type`.

An invalid frame gets an `error` frame and the connection stays open. Frames other than
`auth` and `ping` need an authenticated session. `subscribe` streams bus events of a channel
that the caller may see; a frame whose message has `x-relay-channel` (the flagship's `message`,
`typing`, `webrtc_signal`) is published to the bus as that channel's event for the other
party: the mocks decide the audience through the `relay` hook; a bound
`FrameHandler` (an OperationGroup's `@group.frame("message")`) answers its frame type instead
(stores a chat message, publishes the relay itself, raises ApiError for an `error` frame).
A SocketGuard (server.socketguard) bounds the connection: an auth deadline, frame sizes and
rates, unauthenticated sockets per IP, and the session re-checked on every frame and event.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.config import RateLimiter
from server.events import Event, EventBus
from server.identity import Authenticator, Identity
from server.schemas import standalone
from server.socketguard import SocketGuard
from server.validation import CompiledSchema
from server.wssession import (
    PUBLIC_TYPES,
    FrameHandler,
    InboundFrame,
    Relay,
    Session,
    everyone,
)

__all__ = [
    "PUBLIC_TYPES",
    "FrameHandler",
    "InboundFrame",
    "Relay",
    "WebSocketAPI",
    "everyone",
]
log = logging.getLogger("kk.ws")


class WebSocketAPI:
    """One instance per app; `endpoint` is the Starlette WebSocket endpoint."""

    def __init__(
        self,
        table: dict[str, Any],
        bus: EventBus,
        authenticator: Authenticator | None,
        relay: Relay = everyone,
        validate_outbound: bool = False,
        frames: Mapping[str, FrameHandler] | None = None,
        services: Mapping[str, Any] | None = None,
        rate_limiter: RateLimiter | None = None,
        guard: SocketGuard | None = None,
    ) -> None:
        defs = table.get("defs") or {}
        self.inbound = {
            name: CompiledSchema(standalone(m["schema"], defs))
            for name, m in table["receive"].items()
        }
        self.outbound = (
            {
                name: CompiledSchema(standalone(m["schema"], defs))
                for name, m in table["send"].items()
            }
            if validate_outbound
            else {}
        )
        # Refusals are `error` frames only where the document declares them (server.wssession).
        self.error_frames = "error" in table["send"]
        # Bus events become `event` frames only when the AsyncAPI document declares them.
        event = table["send"].get("event")
        self.event_frame = (
            CompiledSchema(standalone(event["schema"], defs)) if event is not None else None
        )
        self.scopes: dict[str, tuple[str, ...]] = {
            name: tuple(m.get("scopes") or ()) for name, m in table["receive"].items()
        }
        self.channel_scopes: dict[str, dict[str, tuple[str, ...]]] = {
            name: {c: tuple(v) for c, v in (m.get("channel_scopes") or {}).items()}
            for name, m in table["receive"].items()
        }
        # `x-rate-limit`: the REST class a frame counts against (chat: messaging)
        self.rate_classes: dict[str, str] = {
            name: m["rate_limit"] for name, m in table["receive"].items() if m.get("rate_limit")
        }
        # `x-relay-channel`: frames relayed to the other connections, as that channel's events
        self.relay_channels: dict[str, str] = {
            name: m["relay_channel"]
            for name, m in table["receive"].items()
            if m.get("relay_channel")
        }
        self.rate_limiter = rate_limiter
        self.guard = guard
        self.bus = bus
        self.authenticator = authenticator
        self.relay = relay
        self.frames: dict[str, FrameHandler] = dict(frames or {})
        self.services: Mapping[str, Any] = services if services is not None else {}
        self._encoded: dict[str, str | None] = {}

    def missing_scopes(
        self, kind: str, frame: dict[str, Any], identity: Identity | None
    ) -> list[str]:
        """The scopes the frame needs (`x-required-scopes`, per channel for `subscribe`) that
        the connection's token lacks; none are checked without an authenticator (`kk mock`)."""
        if identity is None or self.authenticator is None:
            return []
        needed = self.scopes.get(kind, ())
        channel = frame.get("channel")
        if isinstance(channel, str):
            needed = (*needed, *self.channel_scopes.get(kind, {}).get(channel, ()))
        return [s for s in dict.fromkeys(needed) if s not in identity.scopes]

    def encode(self, event: Event) -> str | None:
        """The frame text of a bus event, built, checked and serialized once per event (not
        once per subscriber); None when the AsyncAPI document does not declare it."""
        if event.id in self._encoded:
            return self._encoded[event.id]
        frame: dict[str, Any]
        if event.type.startswith("ws."):
            frame = event.data["frame"]
        else:
            frame = {
                "type": "event",
                "channel": event.channel,
                "id": event.id,
                "event": event.type,
                "created_at": event.created_at,
                "data": event.data,
            }
        text: str | None = orjson.dumps(frame).decode()
        if frame["type"] == "event" and self.event_frame is not None:
            if not self.event_frame.is_valid(frame):
                # not a WebSocket event (booking.updated): only GraphQL subscriptions see it
                log.debug("event %s is not a WebSocket event; not sent", event.type)
                text = None
        validator = self.outbound.get(frame["type"])
        if text is not None and validator is not None and not validator.is_valid(frame):
            problems = "; ".join(f"{p.pointer}: {p.detail}" for p in validator.problems(frame))
            log.error("outbound %s frame breaks the AsyncAPI spec: %s", frame["type"], problems)
            text = None
        if len(self._encoded) >= 4096:
            self._encoded.clear()
        self._encoded[event.id] = text
        return text

    async def endpoint(self, ws: WebSocket) -> None:
        await ws.accept()
        session = Session(self, ws)
        if not await session.start():
            return
        try:
            while not session.ended:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                # a binary frame is bounded and counted like text, then refused as not JSON
                raw = message.get("text") or (message.get("bytes") or b"").decode(
                    "utf-8", "replace"
                )
                closing = await session.admit(raw)
                if closing is not None:
                    await session.end(closing)
                    break
                await session.handle(raw)
        except (WebSocketDisconnect, RuntimeError):  # RuntimeError: the client vanished
            pass
        finally:
            session.close()
