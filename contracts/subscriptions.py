"""Property-based fuzzing of GraphQL subscriptions over `graphql-transport-ws`.

Documents are drawn from the SDL's Subscription type. A valid document (known field, every
required argument with a value of its type, a selection of the result's leaf fields) must be
accepted: no `error` message for its id, ever. An invalid one (unknown field or subfield,
missing or mistyped argument, broken syntax) must get an `error` message with a non-empty list
of errors. After every document the connection still answers ping with pong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_enum_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from contracts.websocket import Connection, ContractViolation

PROTOCOL = "graphql-transport-ws"
ID_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def _literal(t: GraphQLInputType) -> st.SearchStrategy[str]:
    """A GraphQL literal of input type `t` (scalars and enums; enough for subscription args)."""
    named = get_named_type(t)
    if is_enum_type(named):
        return st.sampled_from(sorted(named.values)).map(str)
    name = named.name
    if name == "Int":
        return st.integers(-(2**31), 2**31 - 1).map(str)
    if name == "Float":
        return st.floats(-1e9, 1e9, allow_nan=False).map(repr)
    if name == "Boolean":
        return st.sampled_from(["true", "false"])
    return st.text(ID_CHARS, min_size=1, max_size=24).map(json.dumps)


class SubscriptionFuzzer:
    def __init__(self, schema: GraphQLSchema, connect: Callable[[], Any], token: str) -> None:
        if schema.subscription_type is None:
            raise ValueError("the schema declares no Subscription type")
        self.fields: dict[str, GraphQLField] = dict(schema.subscription_type.fields)
        self.connect = connect
        self.token = token
        self.documents = 0
        self._next_id = 0

    # -- documents ----------------------------------------------------------------------------

    def _selection(self, field: GraphQLField) -> st.SearchStrategy[list[str]]:
        result = get_named_type(field.type)
        if not isinstance(result, GraphQLObjectType):
            return st.just([])
        leaves = sorted(n for n, f in result.fields.items() if is_leaf_type(get_named_type(f.type)))
        return st.lists(st.sampled_from(leaves), min_size=1, max_size=5, unique=True)

    def _arguments(self, field: GraphQLField) -> st.SearchStrategy[dict[str, str]]:
        required = {n: a for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
        return st.fixed_dictionaries({n: _literal(a.type) for n, a in required.items()})

    def valid_documents(self) -> st.SearchStrategy[str]:
        def document(name: str) -> st.SearchStrategy[str]:
            field = self.fields[name]
            return st.builds(
                lambda args, leaves: _render(name, args, leaves),
                self._arguments(field),
                self._selection(field),
            )

        return st.sampled_from(sorted(self.fields)).flatmap(document)

    def invalid_documents(self) -> st.SearchStrategy[str]:
        def broken(name: str, how: int, junk: str) -> st.SearchStrategy[str]:
            field = self.fields[name]
            args, leaves = self._arguments(field), self._selection(field)
            if how == 0:  # a field the Subscription type does not have
                return st.builds(lambda a, s: _render(f"noSuch{junk}", a, s), args, leaves)
            if how == 1:  # a subfield the result type does not have
                return st.builds(lambda a, s: _render(name, a, [*s, f"noSuch{junk}"]), args, leaves)
            required = [n for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)]
            if how == 2 and required:  # a required argument left out
                return st.builds(
                    lambda a, s: _render(name, _without(a, required[0]), s), args, leaves
                )
            # an argument of the wrong type (an object literal where a scalar is expected), or
            # one the field does not declare
            target = next(iter(field.args), f"noSuch{junk}")
            return st.builds(lambda a, s: _render(name, {**a, target: "{x: 1}"}, s), args, leaves)

        structural = st.tuples(
            st.sampled_from(sorted(self.fields)), st.integers(0, 3), st.text("XYZ", min_size=1)
        ).flatmap(lambda t: broken(*t))
        syntax = st.sampled_from(["subscription {", "}", "subscription { }", "query", "{{"])
        return st.one_of(structural, syntax)

    # -- protocol -----------------------------------------------------------------------------

    def _exchange(self, ws: Connection, document: str) -> tuple[str, list[dict[str, Any]]]:
        """Subscribe with `document`, then ping; return the id and messages before the pong."""
        self._next_id += 1
        op_id = str(self._next_id)
        ws.send_text(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": document}}))
        ws.send_text(json.dumps({"type": "ping"}))
        received: list[dict[str, Any]] = []
        while True:
            message = json.loads(ws.receive_text())
            if message.get("type") == "pong":
                self.documents += 1
                return op_id, received
            received.append(message)

    def _open(self, ws: Connection) -> None:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {self.token}"}}
        ws.send_text(json.dumps(init))
        ack = json.loads(ws.receive_text())
        if ack.get("type") != "connection_ack":
            raise ContractViolation(f"connection_init with the contract token failed: {ack}")

    def check_valid(self, document: str) -> None:
        with self.connect() as ws:
            self._open(ws)
            op_id, messages = self._exchange(ws, document)
            ws.send_text(json.dumps({"id": op_id, "type": "complete"}))
        rejected = [m for m in messages if m.get("type") == "error" and not _refusal(m)]
        if rejected:
            raise ContractViolation(f"valid subscription rejected: {document!r} -> {rejected}")

    def check_invalid(self, document: str) -> None:
        with self.connect() as ws:
            self._open(ws)
            op_id, messages = self._exchange(ws, document)
        errors = [m for m in messages if m.get("type") == "error" and m.get("id") == op_id]
        if not errors or not isinstance(errors[0].get("payload"), list) or not errors[0]["payload"]:
            raise ContractViolation(
                f"invalid subscription got no errors: {document!r} -> {messages}"
            )

    def run(self, examples: int, seed: int) -> int:
        """Fuzz valid, then invalid documents; the first violation raises (via hypothesis)."""
        common = settings(
            max_examples=examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )

        @hypothesis_seed(seed)
        @common
        @given(self.valid_documents())
        def valid(document: str) -> None:
            self.check_valid(document)

        @hypothesis_seed(seed + 1)
        @common
        @given(self.invalid_documents())
        def invalid(document: str) -> None:
            self.check_invalid(document)

        valid()
        invalid()
        return self.documents


def _render(name: str, args: dict[str, str], leaves: list[str]) -> str:
    arguments = ", ".join(f"{k}: {v}" for k, v in args.items())
    call = f"{name}({arguments})" if arguments else name
    selection = f" {{ {' '.join(leaves)} }}" if leaves else ""
    return f"subscription {{ {call}{selection} }}"


def _without(args: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in args.items() if k != name}


# A schema-valid document may still be refused by the domain, as REST answers a valid request
# 401/403/404/409: the subscription names a conversation or booking that does not exist or is
# not the caller's. Such an `error` carries the reference's code and status on every entry; a
# rejection of the document itself (validation, bounds, a crash) does not.
DOMAIN_REFUSALS = frozenset({401, 403, 404, 409})


def _refusal(message: dict[str, Any]) -> bool:
    payload = message.get("payload")
    if not isinstance(payload, list) or not payload:
        return False
    for error in payload:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if not isinstance(extensions, dict) or not isinstance(extensions.get("code"), str):
            return False
        if extensions.get("status") not in DOMAIN_REFUSALS:
            return False
    return True
