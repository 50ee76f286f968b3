"""Two AsyncAPI 3.0 documents compared per operation and message, direction-aware.

A document describes one application: a `receive` operation's messages are what peers send
it (compared like requests), a `send` operation's are what peers read (like responses); a
reply goes the other way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from contracts.diff.findings import Direction, Finding
from contracts.diff.refs import Resolver, as_dict, names
from contracts.diff.rules import Effect, fixed, schema_finding
from contracts.diff.schemas import SchemaDiff

OTHER = {Direction.REQUEST: Direction.RESPONSE, Direction.RESPONSE: Direction.REQUEST}


def _messages(raw: Any, resolver: Resolver) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        message, ref = resolver.follow(item)
        message = as_dict(message)
        name = message.get("name") or (ref or "").rsplit("/", 1)[-1] or f"#{len(out)}"
        out[str(name)] = message
    return out


def _payload(message: dict[str, Any]) -> Any:
    payload = message.get("payload")
    if isinstance(payload, dict) and "schemaFormat" in payload:  # a multi-format schema
        return payload.get("schema")
    return payload


def _scopes(label: str, a: dict[str, Any], b: dict[str, Any]) -> Iterator[Finding]:
    """The kit's scope extensions: for the message, and per channel a `subscribe` names."""
    extra = names(b.get("x-required-scopes")) - names(a.get("x-required-scopes"))
    if extra:
        yield fixed("message-scope-added", label, f"now needs scopes {' '.join(sorted(extra))}")
    old, new = as_dict(a.get("x-channel-scopes")), as_dict(b.get("x-channel-scopes"))
    for channel, scopes in sorted(new.items()):
        if more := names(scopes) - names(old.get(channel)):
            where = f"{label} channel {channel}"
            yield fixed("message-scope-added", where, f"now needs scopes {' '.join(sorted(more))}")


class AsyncApiDiff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_doc, self.new_doc = old, new
        self.old, self.new = Resolver(old), Resolver(new)
        self.schemas = SchemaDiff(self.old, self.new)

    def findings(self) -> list[Finding]:
        ops_a = as_dict(self.old_doc.get("operations"))
        ops_b = as_dict(self.new_doc.get("operations"))
        out: list[Finding] = []
        for name, raw in ops_a.items():
            if name not in ops_b:
                out.append(fixed("operation-removed", str(name), "operation removed"))
            else:
                out += self.operation(str(name), self.old.node(raw), self.new.node(ops_b[name]))
        for name in ops_b.keys() - ops_a.keys():
            out.append(fixed("operation-added", str(name), "new operation"))
        return out

    def operation(self, name: str, a: dict[str, Any], b: dict[str, Any]) -> Iterator[Finding]:
        if a.get("action") != b.get("action"):
            yield fixed(
                "operation-action-changed", name, f"action {a.get('action')} -> {b.get('action')}"
            )
            return
        address_a = self.old.node(a.get("channel")).get("address")
        address_b = self.new.node(b.get("channel")).get("address")
        if address_a != address_b:
            yield fixed("channel-address-changed", name, f"address {address_a} -> {address_b}")
        direction = Direction.REQUEST if a.get("action") == "receive" else Direction.RESPONSE
        yield from self.messages(name, a.get("messages"), b.get("messages"), direction)
        reply_a, reply_b = (
            as_dict(self.old.node(a.get("reply"))),
            as_dict(self.new.node(b.get("reply"))),
        )
        yield from self.messages(
            f"{name} reply", reply_a.get("messages"), reply_b.get("messages"), OTHER[direction]
        )

    def messages(self, where: str, old: Any, new: Any, direction: Direction) -> Iterator[Finding]:
        ma, mb = _messages(old, self.old), _messages(new, self.new)
        for name, a in ma.items():
            label = f"{where} message {name}"
            if name not in mb:
                yield schema_finding("message", Effect.REMOVED, direction, label, "message removed")
                continue
            b = mb[name]
            for part, old_schema, new_schema in (
                ("payload", _payload(a), _payload(b)),
                ("headers", a.get("headers"), b.get("headers")),
            ):
                for d in self.schemas.compare(old_schema, new_schema, direction):
                    at = f"{label} {part} {d.path}".rstrip()
                    yield schema_finding(d.aspect, d.effect, direction, at, d.detail)
            if direction is Direction.REQUEST:
                yield from _scopes(label, a, b)
        for name in mb.keys() - ma.keys():
            yield schema_finding(
                "message", Effect.ADDED, direction, f"{where} message {name}", "message added"
            )


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    return AsyncApiDiff(old, new).findings()
