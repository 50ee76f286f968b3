"""The WebSocket API, driven by an AsyncAPI table: every inbound frame validated by its `type`.

An invalid frame gets an `error` frame and the connection stays open. Frames other than
`auth` and `ping` need an authenticated session. `subscribe` streams bus events of a channel
that the caller may see; `message`, `typing` and `webrtc_signal` are published to the bus for
the other party: the mocks decide the audience through the `relay` hook; a bound
`FrameHandler` (an OperationGroup's `@group.frame("message")`) answers its frame type instead
(stores a chat message, publishes the relay itself, raises ApiError for an `error` frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.config import RateLimiter
from server.errors import ApiError
from server.events import Event, EventBus, Subscription
from server.identity import Authenticator, Identity
from server.problems import now_iso
from server.schemas import standalone
from server.validation import CompiledSchema

log = logging.getLogger("kk.ws")
PUBLIC_TYPES = frozenset({"auth", "ping"})
RELAYED_TYPES = frozenset({"message", "typing", "webrtc_signal"})
RELAY_CHANNEL = {"message": "messages", "typing": "messages", "webrtc_signal": "bookings"}

# Decides who may receive a relayed frame: (sender identity, frame) -> audience subject ids.
Relay = Callable[[Identity, dict[str, Any]], Awaitable[tuple[str, ...]]]


@dataclass(frozen=True)
class InboundFrame:
    """A validated inbound frame of an authenticated connection, as a FrameHandler gets it.

    `connection` identifies the sending connection: a relayed event whose data carries it as
    `origin` is not sent back to that connection (it got its answer directly)."""

    data: dict[str, Any]
    identity: Identity
    connection: str
    bus: EventBus
    services: Mapping[str, Any] = field(default_factory=dict)


# Answers one frame type: the frame to send back to the sender, or None; an ApiError becomes
# an `error` frame (its code, its first problem's detail and pointer) and the connection stays.
FrameHandler = Callable[[InboundFrame], Awaitable[dict[str, Any] | None]]


async def everyone(identity: Identity, frame: dict[str, Any]) -> tuple[str, ...]:
    return ()


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
        self.rate_limiter = rate_limiter
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
        session = _Session(self, ws)
        try:
            while True:
                raw = await ws.receive_text()
                await session.handle(raw)
        except WebSocketDisconnect:
            pass
        except RuntimeError:  # receive after the client vanished
            pass
        finally:
            session.close()


class _Session:
    def __init__(self, api: WebSocketAPI, ws: WebSocket) -> None:
        self.api = api
        self.ws = ws
        self.identity: Identity | None = None
        self.streams: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self.lock = asyncio.Lock()
        self.id = uuid.uuid4().hex

    async def send(self, frame: dict[str, Any]) -> None:
        validator = self.api.outbound.get(frame.get("type", ""))
        if validator is not None and not validator.is_valid(frame):
            problems = "; ".join(f"{p.pointer}: {p.detail}" for p in validator.problems(frame))
            log.error("outbound %s frame breaks the AsyncAPI spec: %s", frame.get("type"), problems)
            frame = {
                "type": "error",
                "code": "INTERNAL_ERROR",
                "detail": "server frame failed validation",
            }
        async with self.lock:
            await self.ws.send_text(orjson.dumps(frame).decode())

    async def error(
        self, code: str, detail: str, ref: str | None = None, pointer: str | None = None
    ) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if pointer is not None:
            frame["pointer"] = pointer
        if ref is not None:
            frame["ref_type"] = ref
        await self.send(frame)

    async def handle(self, raw: str) -> None:
        try:
            frame = orjson.loads(raw)
        except orjson.JSONDecodeError:
            await self.error("VALIDATION_ERROR", "Frames must be JSON objects")
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if not isinstance(kind, str) or kind not in self.api.inbound:
            known = ", ".join(sorted(self.api.inbound))
            await self.error(
                "VALIDATION_ERROR", f"Unknown frame type {kind!r}; known: {known}", pointer="/type"
            )
            return
        validator = self.api.inbound[kind]
        if not validator.is_valid(frame):
            for p in validator.problems(frame):
                await self.error("VALIDATION_ERROR", p.detail, ref=kind, pointer=p.pointer)
            return
        if kind not in PUBLIC_TYPES and self.identity is None:
            await self.error("AUTHENTICATION_REQUIRED", "Send an auth frame first", ref=kind)
            return
        missing = self.api.missing_scopes(kind, frame, self.identity)
        if missing:
            what = f"{kind} on {frame['channel']}" if "channel" in frame else kind
            await self.error(
                "INSUFFICIENT_PERMISSIONS",
                f"{what} needs the {', '.join(missing)} scope(s)",
                ref=kind,
            )
            return
        rate_class = self.api.rate_classes.get(kind)
        if rate_class is not None and self.api.rate_limiter is not None:
            try:
                await self.api.rate_limiter.hit(self.ws.scope, self.identity, rate_class)
            except ApiError as e:  # RATE_LIMIT_EXCEEDED: refused, the connection stays
                await self.error(e.code, e.problems[0].detail or str(e), ref=kind)
                return
        bound = self.api.frames.get(kind)
        if bound is not None and self.identity is not None:
            inbound = InboundFrame(frame, self.identity, self.id, self.api.bus, self.api.services)
            await self.on_bound(bound, inbound)
            return
        await getattr(self, "on_" + kind, self.on_other)(frame)

    async def on_bound(self, handler: FrameHandler, inbound: InboundFrame) -> None:
        kind = inbound.data["type"]
        try:
            reply = await handler(inbound)
        except ApiError as e:
            problem = e.problems[0]
            await self.error(e.code, problem.detail or str(e), ref=kind, pointer=problem.pointer)
            return
        except Exception:  # a bug in a handler must not close the connection
            log.exception("%s frame handler failed", kind)
            await self.error("INTERNAL_ERROR", f"The {kind} frame could not be handled", ref=kind)
            return
        if reply is not None:
            await self.send(reply)

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send({"type": "pong"})

    async def on_auth(self, frame: dict[str, Any]) -> None:
        authenticator = self.api.authenticator
        try:
            if authenticator is None:
                identity = Identity(subject="anonymous", scopes=frozenset(), kind="mock")
            else:
                identity = await authenticator.authenticate(frame["token"])
        except ApiError as e:
            await self.error(e.code, str(e), ref="auth")
            return
        self.identity = identity
        await self.send(
            {"type": "auth_ok", "user_id": identity.subject, "scopes": sorted(identity.scopes)}
        )

    async def on_subscribe(self, frame: dict[str, Any]) -> None:
        channel = frame["channel"]
        if channel not in self.streams:
            sub = self.api.bus.subscribe([channel])
            self.streams[channel] = (sub, asyncio.create_task(self._forward(sub, frame)))
        await self.send({"type": "subscribed", "channel": channel})

    async def on_unsubscribe(self, frame: dict[str, Any]) -> None:
        stream = self.streams.pop(frame["channel"], None)
        if stream is not None:
            stream[0].close()
            stream[1].cancel()
        await self.send({"type": "unsubscribed", "channel": frame["channel"]})

    async def _forward(self, sub: Subscription, frame: dict[str, Any]) -> None:
        subject = self.identity.subject if self.identity else None
        conversation = frame.get("conversation_id")
        async for event in sub:
            relayed = event.type.startswith("ws.")
            if not event.visible_to(subject) or (relayed and event.data.get("origin") == self.id):
                continue
            if conversation and event.data.get("conversation_id") not in (None, conversation):
                continue
            text = self.api.encode(event)
            if text is None:
                continue
            with contextlib.suppress(Exception):
                async with self.lock:
                    await self.ws.send_text(text)

    async def on_other(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind not in RELAYED_TYPES or self.identity is None:
            return
        sender = self.identity.subject
        relayed = dict(frame)
        if kind == "message":
            relayed.update(id="msg_" + uuid.uuid4().hex[:16], sender_id=sender, sent_at=now_iso())
            relayed.setdefault("message_type", "text")
        elif kind == "typing":
            relayed["user_id"] = sender
        else:
            relayed["from_user_id"] = sender
        audience = await self.api.relay(self.identity, frame)
        data: dict[str, Any] = {"frame": relayed, "origin": self.id}
        if "conversation_id" in frame:
            data["conversation_id"] = frame["conversation_id"]
        await self.api.bus.publish(Event(f"ws.{kind}", RELAY_CHANNEL[kind], data, audience))
        if kind == "message":
            await self.send(relayed)

    def close(self) -> None:
        for sub, task in self.streams.values():
            sub.close()
            task.cancel()
        self.streams.clear()
