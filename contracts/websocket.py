"""Property-based fuzzing of an AsyncAPI WebSocket API, in-process or against a URL.

Valid frames (drawn from each inbound message schema) must get only documented replies and no
VALIDATION_ERROR; invalid frames must get a VALIDATION_ERROR error frame; after every frame the
connection still answers ping with pong, and every server frame matches its `send` schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from contracts.strategies import valid_values
from server.schemas import standalone
from server.validation import CompiledSchema

PUBLIC = frozenset({"auth", "ping"})


class Connection(Protocol):
    def send_text(self, data: str) -> None: ...

    def receive_text(self) -> str: ...


class ContractViolation(AssertionError):
    pass


class WebSocketFuzzer:
    def __init__(self, table: dict[str, Any], connect: Callable[[], Any], token: str) -> None:
        defs = table.get("defs") or {}
        self.inbound = {n: standalone(m["schema"], defs) for n, m in table["receive"].items()}
        self.replies = {n: set(m.get("replies") or []) for n, m in table["receive"].items()}
        self.outbound = {
            n: CompiledSchema(standalone(m["schema"], defs)) for n, m in table["send"].items()
        }
        self.connect = connect
        self.token = token
        self.frames = 0

    def exchange(self, ws: Connection, frame: str) -> list[dict[str, Any]]:
        """Send one frame, then ping; return every frame that arrived before the pong."""
        ws.send_text(frame)
        ws.send_text('{"type": "ping"}')
        received: list[dict[str, Any]] = []
        while True:
            reply = json.loads(ws.receive_text())
            kind = reply.get("type")
            validator = self.outbound.get(kind)
            if validator is None:
                raise ContractViolation(f"server sent an undocumented frame type {kind!r}: {reply}")
            if not validator.is_valid(reply):
                problems = "; ".join(f"{p.pointer}: {p.detail}" for p in validator.problems(reply))
                raise ContractViolation(f"server frame {kind!r} breaks its schema: {problems}")
            if kind == "pong":
                self.frames += 1
                return received
            received.append(reply)

    def login(self, ws: Connection) -> None:
        replies = self.exchange(ws, json.dumps({"type": "auth", "token": self.token}))
        if not any(r.get("type") == "auth_ok" for r in replies):
            raise ContractViolation(f"auth with the contract token failed: {replies}")

    def check_valid(self, name: str, frame: dict[str, Any]) -> None:
        with self.connect() as ws:
            if name != "auth":
                self.login(ws)
            replies = self.exchange(ws, json.dumps(frame))
        allowed = self.replies[name] | {"event", "message", "typing", "webrtc_signal"}
        for reply in replies:
            if (
                reply["type"] == "error"
                and reply.get("code") == "VALIDATION_ERROR"
                and name != "auth"
            ):
                raise ContractViolation(f"valid {name} frame rejected: {frame} -> {reply}")
            if reply["type"] not in allowed:
                raise ContractViolation(
                    f"{name} answered with undocumented {reply['type']}: {reply}"
                )

    def check_invalid(self, frame: str) -> None:
        with self.connect() as ws:
            self.login(ws)
            replies = self.exchange(ws, frame)
        if not any(r["type"] == "error" and r.get("code") == "VALIDATION_ERROR" for r in replies):
            raise ContractViolation(f"invalid frame {frame!r} got no VALIDATION_ERROR: {replies}")

    def valid_frames(self) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        names = sorted(n for n in self.inbound if n != "ping")
        return st.sampled_from(names).flatmap(
            lambda n: st.tuples(st.just(n), valid_values(self.inbound[n]))
        )

    def invalid_frames(self) -> st.SearchStrategy[str]:
        def broken(pair: tuple[str, dict[str, Any]], how: int, junk: str) -> str:
            name, frame = pair
            required = [k for k in self.inbound[name].get("required", []) if k != "type"]
            frame = dict(frame)
            if how == 0 and required:
                frame.pop(required[0], None)
            elif how == 1:
                frame["x_unexpected_" + junk] = 1
            elif how == 2 and required:
                frame[required[0]] = [junk]
            else:
                frame["type"] = "no_such_type_" + junk
            return json.dumps(frame)

        structural = st.builds(
            broken, self.valid_frames(), st.integers(0, 3), st.text("abc", min_size=1)
        )
        garbage = st.sampled_from(["not json", "[]", "42", '{"type": 7}', "{}"])
        return st.one_of(structural, garbage)

    def run(self, examples: int, seed: int) -> int:
        """Fuzz valid, then invalid frames; the first violation raises (via hypothesis)."""
        common = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )

        @hypothesis_seed(seed)
        @common
        @given(self.valid_frames())
        def valid(pair: tuple[str, dict[str, Any]]) -> None:
            self.check_valid(*pair)

        @hypothesis_seed(seed + 1)
        @common
        @given(self.invalid_frames())
        def invalid(frame: str) -> None:
            self.check_invalid(frame)

        valid()
        invalid()
        return self.frames
