"""spec/asyncapi.yaml: the WebSocket API of the reference, as AsyncAPI 3.0."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator

from .reference_documents import websocket_examples

ASYNCAPI_PATH = Path(__file__).resolve().parents[2] / "spec" / "asyncapi.yaml"

# Keywords that mean the same in draft-07 and 2020-12 (payloads use the default schemaFormat).
PORTABLE_KEYWORDS = {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "items",
    "format",
    "default",
    "description",
}

# The reference's client messages in the order it prints them; also read from it at test time.
REFERENCE_TYPES = ["auth", "subscribe", "message", "typing", "webrtc_signal"]

UNAUTHENTICATED = {"auth", "ping"}


@cache
def document() -> dict[str, Any]:
    loaded = yaml.load(ASYNCAPI_PATH.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert isinstance(loaded, dict)
    return loaded


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow local $refs ('#/a/b') until a node without one."""
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def messages() -> dict[str, dict[str, Any]]:
    return document()["components"]["messages"]


def payload(message: dict[str, Any]) -> dict[str, Any]:
    return resolve(message["payload"])


def operation_message_keys(action: str) -> list[str]:
    """components/messages keys the operations with this action carry."""
    keys = []
    for operation in document()["operations"].values():
        if operation["action"] == action:
            keys.extend(_component_key(ref) for ref in operation["messages"])
    return keys


def _component_key(ref: dict[str, Any]) -> str:
    target = resolve(ref)
    return next(key for key, message in messages().items() if message is target)


def client_messages() -> dict[str, dict[str, Any]]:
    return {key: messages()[key] for key in operation_message_keys("receive")}


def server_messages() -> dict[str, dict[str, Any]]:
    keys = operation_message_keys("send")
    for operation in document()["operations"].values():
        keys.extend(_component_key(ref) for ref in operation.get("reply", {}).get("messages", []))
    return {key: messages()[key] for key in keys}


def test_document_is_asyncapi_3_0_0_for_the_ws_endpoint() -> None:
    assert document()["asyncapi"] == "3.0.0"
    sandbox = document()["servers"]["sandbox"]
    assert (sandbox["host"], sandbox["protocol"], sandbox["pathname"]) == (
        "127.0.0.1:8000",
        "ws",
        "/ws",
    )
    production = document()["servers"]["production"]
    assert (production["host"], production["protocol"]) == ("ws.klearkarma.com", "wss")
    assert [channel["address"] for channel in document()["channels"].values()] == ["/ws"]


def test_operations_reference_only_messages_of_their_channel() -> None:
    for name, operation in document()["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        channel = resolve(operation["channel"])
        refs = operation["messages"] + operation.get("reply", {}).get("messages", [])
        for ref in refs:
            channel_key = ref["$ref"].split("/")[2]
            assert document()["channels"][channel_key] is channel, f"{name}: {ref}"
            resolve(ref)


def test_every_component_message_is_used_in_one_direction() -> None:
    client, server = set(client_messages()), set(server_messages())
    assert not client & server
    assert client | server == set(messages())
    assert {m["name"] for m in client_messages().values()} == {
        "auth",
        "subscribe",
        "unsubscribe",
        "message",
        "typing",
        "webrtc_signal",
        "ping",
    }
    assert {m["name"] for m in server_messages().values()} == {
        "auth_ok",
        "subscribed",
        "unsubscribed",
        "event",
        "message",
        "typing",
        "webrtc_signal",
        "pong",
        "error",
    }


@pytest.mark.parametrize("key", sorted(messages()))
def test_message_name_is_its_type_value(key: str) -> None:
    message = messages()[key]
    assert payload(message)["properties"]["type"] == {"const": message["name"]}
    assert payload(message)["required"][0] == "type"


@pytest.mark.parametrize("key", sorted(messages()))
def test_payload_is_a_portable_json_schema(key: str) -> None:
    schema = payload(messages()[key])
    Draft202012Validator.check_schema(schema)
    Draft7Validator.check_schema(schema)
    assert _keywords(schema) <= PORTABLE_KEYWORDS


def _keywords(schema: Any) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for subschema in schema.get("properties", {}).values():
        found |= _keywords(subschema)
    found |= _keywords(schema.get("items"))
    return found


@pytest.mark.parametrize("key", sorted(messages()))
def test_message_examples_validate_against_the_payload(key: str) -> None:
    message = messages()[key]
    examples = message.get("examples", [])
    assert examples, f"{key} has no examples"
    validator = Draft202012Validator(
        payload(message), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    for example in examples:
        assert example.get("name"), f"{key}: example without a name"
        errors = [e.message for e in validator.iter_errors(example["payload"])]
        assert not errors, f"{key} example {example['name']}: {errors}"


def test_reference_prints_the_five_websocket_client_messages() -> None:
    assert [example["type"] for example in websocket_examples()] == REFERENCE_TYPES


@pytest.mark.parametrize("index", range(len(REFERENCE_TYPES)), ids=REFERENCE_TYPES)
def test_reference_example_matches_exactly_one_client_message(index: int) -> None:
    example = websocket_examples()[index]
    matching = [
        key
        for key, message in client_messages().items()
        if Draft202012Validator(payload(message)).is_valid(example)
    ]
    assert len(matching) == 1, f"{example} matches {matching}"
    documented = [e["payload"] for e in client_messages()[matching[0]]["examples"]]
    assert example in documented, f"{example} is not among the examples of {matching[0]}"


def test_every_client_message_has_a_documented_reply() -> None:
    for operation in document()["operations"].values():
        if operation["action"] == "receive":
            reply = operation.get("reply", {})
            assert reply.get("messages"), f"{operation['messages']} has no reply"
            assert all(_component_key(ref) in server_messages() for ref in reply["messages"])


def test_client_messages_say_whether_they_need_auth_first() -> None:
    for key, message in client_messages().items():
        expected = message["name"] not in UNAUTHENTICATED
        assert message.get("x-requires-auth") is expected, key
    channel = next(iter(document()["channels"].values()))
    assert set(channel["x-requires-auth-first"]["except"]) == UNAUTHENTICATED


def test_error_codes_are_the_rest_error_codes() -> None:
    codes = payload(messages()["error"])["properties"]["code"]["enum"]
    assert {
        "VALIDATION_ERROR",
        "AUTHENTICATION_REQUIRED",
        "INVALID_TOKEN",
        "INSUFFICIENT_PERMISSIONS",
        "RESOURCE_NOT_FOUND",
        "RATE_LIMIT_EXCEEDED",
    } <= set(codes)


def test_messages_and_payloads_live_in_components() -> None:
    for key, message in messages().items():
        assert message["payload"]["$ref"].startswith("#/components/schemas/"), key
    for channel in document()["channels"].values():
        for key, ref in channel["messages"].items():
            assert ref["$ref"] == f"#/components/messages/{key}"


def test_type_identifies_the_message_within_each_direction() -> None:
    for direction in (client_messages(), server_messages()):
        names = [message["name"] for message in direction.values()]
        assert len(names) == len(set(names)), names
