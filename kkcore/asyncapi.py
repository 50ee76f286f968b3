"""From an AsyncAPI 3.0 document: each message the server receives or sends, with its schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from kkcore.errors import SpecError
from kkcore.loader import resolve
from kkcore.normalize import to_json_schema


def load_asyncapi(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise SpecError(f"{path}: cannot read AsyncAPI document: {e}") from e
    if not isinstance(doc, dict) or not str(doc.get("asyncapi", "")).startswith("3."):
        raise SpecError(f"{path}: not an AsyncAPI 3 document")
    return doc


def _message(doc: dict[str, Any], ref: Any, where: str) -> tuple[str, dict[str, Any]]:
    message = resolve(doc, ref)
    name = message.get("name")
    if not name:
        raise SpecError(f"{where}: every message needs a name (the value of its `type`)")
    payload = to_json_schema(resolve(doc, message.get("payload") or {}), openapi30=False)
    examples = [e.get("payload") for e in message.get("examples") or [] if "payload" in e]
    entry: dict[str, Any] = {"schema": cast(dict[str, Any], payload), "examples": examples}
    scopes = message.get("x-required-scopes") or []
    by_channel = message.get("x-channel-scopes") or {}
    if scopes:  # what the frame needs, checked like REST's scopes (INSUFFICIENT_PERMISSIONS)
        entry["scopes"] = [str(s) for s in scopes]
    if by_channel:  # a `subscribe` frame's needs per `channel`
        entry["channel_scopes"] = {str(k): [str(s) for s in v] for k, v in by_channel.items()}
    if message.get("x-rate-limit"):  # the REST rate-limit class the frame counts against
        entry["rate_limit"] = str(message["x-rate-limit"])
    if message.get("x-relay-channel"):  # relayed to other connections as this channel's event
        entry["relay_channel"] = str(message["x-relay-channel"])
    return name, entry


def asyncapi_table(doc: dict[str, Any]) -> dict[str, Any]:
    """{"address", "receive": {name: {schema, examples, replies}}, "send": {...}, "defs"}.

    `receive` are the frames a client may send to the server, `send` the frames the server
    sends (including the replies of receive operations).
    """
    table: dict[str, Any] = {"address": "/", "receive": {}, "send": {}}
    for op_name, raw_op in (doc.get("operations") or {}).items():
        op = resolve(doc, raw_op)
        direction = op.get("action")
        if direction not in ("send", "receive"):
            raise SpecError(f"operation {op_name}: action must be send or receive")
        channel = resolve(doc, op.get("channel") or {})
        table["address"] = channel.get("address") or table["address"]
        replies = [
            _message(doc, r, op_name) for r in ((op.get("reply") or {}).get("messages") or [])
        ]
        other = "send" if direction == "receive" else "receive"
        for name, entry in replies:
            table[other].setdefault(name, {**entry, "replies": []})
        for ref in op.get("messages") or []:
            name, entry = _message(doc, ref, op_name)
            entry["replies"] = [n for n, _ in replies]
            table[direction][name] = entry
    table["defs"] = {
        name: to_json_schema(s, openapi30=False)
        for name, s in ((doc.get("components") or {}).get("schemas") or {}).items()
    }
    return table
