"""One /ws connection: its identity, subscriptions, bounds, and the frame types it answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from starlette.websockets import WebSocket

from kkcore.errors import ApiError
from server.config import RateLimiter
from server.events import Event, EventBus, Subscription
from server.identity import Authenticator, Identity
from server.jsondepth import MAX_DEPTH, too_deep
from server.problems import now_iso
from server.socketguard import (
    CLOSE_AUTH_TIMEOUT,
    CLOSE_TOO_MANY,
    CLOSE_UNAUTHENTICATED,
    Closing,
    SocketGuard,
    client_host,
    error_code,
)
from server.validation import CompiledSchema

log = logging.getLogger("kk.ws")
CLOSE_POLICY = 1008  # RFC 6455: a frame this endpoint refuses (no `error` frame declared)
CLOSE_INTERNAL = 1011
MAX_REASON = 123  # bytes of UTF-8 a close frame's reason may hold (RFC 6455 §5.5)
PUBLIC_TYPES = frozenset({"auth", "ping"})

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


def close_reason(text: str) -> str:
    """`text` cut to what a close frame carries, on a character boundary."""
    return text.encode()[:MAX_REASON].decode("utf-8", "ignore")


async def everyone(identity: Identity, frame: dict[str, Any]) -> tuple[str, ...]:
    return ()


class SocketAPI(Protocol):
    """What a session needs of its endpoint (server.websocket.WebSocketAPI): compiled frame
    schemas, bounds, identity and the bus, read-only."""

    @property
    def inbound(self) -> Mapping[str, CompiledSchema]: ...
    @property
    def outbound(self) -> Mapping[str, CompiledSchema]: ...
    @property
    def rate_classes(self) -> Mapping[str, str]: ...
    @property
    def frames(self) -> Mapping[str, FrameHandler]: ...
    @property
    def services(self) -> Mapping[str, Any]: ...
    @property
    def guard(self) -> SocketGuard | None: ...
    @property
    def relay_channels(self) -> Mapping[str, str]: ...
    @property
    def authenticator(self) -> Authenticator | None: ...
    @property
    def rate_limiter(self) -> RateLimiter | None: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def relay(self) -> Relay: ...
    @property
    def error_frames(self) -> bool: ...

    def missing_scopes(
        self, kind: str, frame: dict[str, Any], identity: Identity | None
    ) -> list[str]: ...

    def encode(self, event: Event) -> str | None: ...


class Session:
    def __init__(self, api: SocketAPI, ws: WebSocket) -> None:
        self.api = api
        self.ws = ws
        self.identity: Identity | None = None
        self.streams: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        self.lock = asyncio.Lock()
        self.id = uuid.uuid4().hex
        self.token: str | None = None
        self.host: str | None = None  # counted as unauthenticated against this address
        self.bucket = api.guard.bucket() if api.guard is not None else None
        self.auth_failures = 0
        self.ended = False
        self.deadline: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        """Count the socket as unauthenticated and start its auth deadline; False (closed)
        when its address holds too many unauthenticated sockets already."""
        guard, host = self.api.guard, client_host(self.ws.scope)
        if guard is None:
            return True
        if not guard.admit(host):
            await self.end((CLOSE_TOO_MANY, "Too many unauthenticated sockets from your address"))
            return False
        self.host = host
        if self.api.authenticator is not None:  # `kk mock` has no identity to wait for
            self.deadline = asyncio.create_task(self.auth_deadline(guard.limits.auth_timeout))
        return True

    async def admit(self, raw: str) -> Closing | None:
        """Why this inbound frame ends the session, or None to handle it."""
        guard = self.api.guard
        if guard is None:
            return None
        return await guard.inbound(len(raw.encode()), self.bucket, self.token, self.identity)

    async def end(self, closing: Closing) -> None:
        """A clear error frame (where the spec declares one), then the close code
        (server.socketguard)."""
        self.ended = True
        if self.api.error_frames:
            with contextlib.suppress(Exception):
                await self.error(error_code(closing), closing[1])
        with contextlib.suppress(Exception):
            async with self.lock:
                await self.ws.close(*closing)

    async def auth_deadline(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.identity is None and not self.ended:
            await self.end((CLOSE_AUTH_TIMEOUT, f"Send an auth frame within {seconds:g} seconds"))

    async def send(self, frame: dict[str, Any]) -> None:
        validator = self.api.outbound.get(frame.get("type", ""))
        if validator is not None and not validator.is_valid(frame):
            problems = "; ".join(f"{p.pointer}: {p.detail}" for p in validator.problems(frame))
            log.error("outbound %s frame breaks the AsyncAPI spec: %s", frame.get("type"), problems)
            if not self.api.error_frames:
                await self.end((CLOSE_INTERNAL, "server frame failed validation"))
                return
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
        """An `error` frame; where the AsyncAPI document declares none, a frame its clients do
        not know is no answer: the socket closes with 1008 and the reason instead."""
        if not self.api.error_frames:
            if not self.ended:
                await self.end((CLOSE_POLICY, close_reason(f"{code}: {detail}")))
            return
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
        if too_deep(raw, frame):
            await self.error("VALIDATION_ERROR", f"Frames may nest at most {MAX_DEPTH} levels")
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
            self.auth_failures += 1
            guard = self.api.guard
            if guard is not None and self.auth_failures >= guard.limits.max_auth_failures:
                await self.end((CLOSE_UNAUTHENTICATED, f"{self.auth_failures} failed auth frames"))
            return
        self.identity = identity
        self.token = frame["token"] if authenticator is not None else None
        self._release()
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
            guard = self.api.guard
            closing = await guard.recheck(self.token, self.identity) if guard else None
            if closing is not None:  # the token expired or was revoked since the last frame
                await self.end(closing)
                return
            with contextlib.suppress(Exception):
                async with self.lock:
                    await self.ws.send_text(text)

    async def on_other(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        channel = self.api.relay_channels.get(kind)
        if channel is None or self.identity is None:
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
        await self.api.bus.publish(Event(f"ws.{kind}", channel, data, audience))
        if kind == "message":
            await self.send(relayed)

    def _release(self) -> None:
        if self.host is not None and self.api.guard is not None:
            self.api.guard.release(self.host)
        self.host = None

    def close(self) -> None:
        self._release()
        if self.deadline is not None:
            self.deadline.cancel()
        for sub, task in self.streams.values():
            sub.close()
            task.cancel()
        self.streams.clear()
