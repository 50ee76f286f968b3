"""Mutations over the sandbox store: a mutation runs the REST operation of the same name (or
`graphql.mutations` of the sandbox file) through REST's mocks, with the same validation, rules,
store writes and events; a failure becomes the payload's `errors`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import orjson
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    get_named_type,
)
from starlette.datastructures import Headers

from kkcore.errors import ApiError
from mocks.graphql import GraphQLMocker, named_type
from mocks.graphql_nodes import Node, snake_keys, typed_args, unwrap
from mocks.resources import Resource, path_params, snake
from mocks.state import SandboxState
from server.ports import OperationRequest
from server.schemas import directional
from server.validation import CompiledSchema


class Host(Protocol):
    """What the mutations need of their `StoreGraphQL` (a Protocol: the store imports this)."""

    state: SandboxState
    hooks: Any  # mocks.graphql_store.StoreHooks: REST handlers by spec
    mocker: GraphQLMocker

    def resource_for(self, type_name: str) -> Resource | None: ...

    def node(self, res: Resource, record: Mapping[str, Any]) -> Node: ...


def user_code(payload: Any, code: str) -> str | None:
    """`code` as the payload's `errors[].code` can carry it: as is where that field is not an
    enum or its enum has the code; else VALIDATION_ERROR if the enum has that, else its first
    value (a foreign schema's enum), or null where the field allows it."""
    errors = payload.fields.get("errors") if isinstance(payload, GraphQLObjectType) else None
    item = get_named_type(errors.type) if errors is not None else None
    field = item.fields.get("code") if isinstance(item, GraphQLObjectType) else None
    enum = get_named_type(field.type) if field is not None else None
    if not isinstance(enum, GraphQLEnumType) or code in enum.values:
        return code
    if "VALIDATION_ERROR" in enum.values:
        return "VALIDATION_ERROR"
    assert field is not None
    return None if not isinstance(field.type, GraphQLNonNull) else next(iter(enum.values), None)


def user_errors(
    payload: Any, code: str, details: list[str], pointers: list[Any]
) -> list[dict[str, Any]]:
    """A failure as the payload's `errors`: one per problem, the field its pointer's last part."""
    shown = user_code(payload, code)
    return [
        {"field": (str(p).rsplit("/", 1)[-1] if p else None), "message": d, "code": shown}
        for d, p in zip(details, pointers, strict=False)
    ]


class StoreMutations:
    """The Mutation root's resolvers of a `StoreGraphQL`."""

    def __init__(self, store: Host) -> None:
        self.store = store
        self.state, self.hooks = store.state, store.hooks
        config = store.state.sandbox.graphql
        self.mutations: Mapping[str, str] = dict(config.get("mutations") or {})
        self.params: Mapping[str, str] = dict(config.get("params") or {})
        self._validators: dict[str, CompiledSchema | None] = {}

    def resolver(self, name: str, field: GraphQLField) -> Any:
        """The resolver of mutation `name`: its REST operation's mock, else a generated payload."""
        op_id = self.mutations.get(name, name)
        ops = self.state.table["operations"]
        payload = unwrap(field.type)
        result = (
            next(
                (
                    f
                    for f, spec in payload.fields.items()
                    if f != "errors" and isinstance(unwrap(spec.type), GraphQLObjectType)
                ),
                None,
            )
            if isinstance(payload, GraphQLObjectType)
            else None
        )
        if op_id not in ops or result is None:
            return self.store.mocker.resolve

        async def resolve(obj: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
            try:
                body = await self.run(op_id, typed_args(info, args).get("input") or {}, info)
            except ApiError as e:
                return {
                    result: None,
                    "errors": user_errors(
                        payload,
                        e.problems[0].code or e.code,
                        [p.detail for p in e.problems],
                        [p.pointer for p in e.problems],
                    ),
                }
            errors = body.get("errors") if isinstance(body, dict) else None
            if errors:
                return {
                    result: None,
                    "errors": user_errors(
                        payload,
                        str(errors[0].get("code", "VALIDATION_ERROR")),
                        [str(e.get("detail", "")) for e in errors],
                        [(e.get("source") or {}).get("pointer") for e in errors],
                    ),
                }
            data = body.get("data") if isinstance(body, dict) else None
            target = named_type(payload.fields[result].type)
            res = self.store.resource_for(target)
            node = (
                self.store.node(res, data)
                if res is not None and isinstance(data, Mapping)
                else None
            )
            return {result: node, "errors": []}

        return resolve

    async def run(self, op_id: str, given: Mapping[str, Any], info: GraphQLResolveInfo[Any]) -> Any:
        """Call the REST mock of `op_id` with a request built from a mutation's input."""
        state = self.state
        spec = state.table["operations"][op_id]
        plan = state.catalog.plans[op_id]
        path_names = set(path_params(spec["path"]))
        query_names = {p["name"] for p in spec["parameters"] if p["location"] == "query"}
        params: dict[str, Any] = {}
        attributes: dict[str, Any] = {}
        for key, value in given.items():
            name = self.params.get(key) or snake(key)
            if name in path_names or name in query_names:
                params[name] = value
            else:
                attributes[name] = snake_keys(value)
        body: Any = None
        if "request_body" in spec:
            res = plan.resource
            body = {"data": {"type": res.type if res else snake(op_id), "attributes": attributes}}
            check = self._validator(op_id)
            if check is not None and not check.is_valid(body):
                problems = check.problems(body)
                return {
                    "errors": [
                        {
                            "code": "VALIDATION_ERROR",
                            "detail": p.detail,
                            "source": {"pointer": p.pointer},
                        }
                        for p in problems
                    ]
                }
        identity = info.context.get("identity") if isinstance(info.context, dict) else None
        request: OperationRequest[Any, Any] = OperationRequest(
            spec, params, body, identity, "graphql", Headers()
        )
        reply = await self.hooks.handler_for(spec)(request)
        content = reply.body
        return orjson.loads(content) if isinstance(content, bytes) and content else content

    def _validator(self, op_id: str) -> CompiledSchema | None:
        if op_id not in self._validators:
            spec = self.state.table["operations"][op_id]
            content: dict[str, Any] = dict(spec.get("request_body", {}).get("content", {}))
            media: Mapping[str, Any] = next(iter(content.values()), {})
            schema = media.get("schema")
            self._validators[op_id] = (
                CompiledSchema(directional(schema, self.state.catalog.defs, "request"))
                if schema
                else None
            )
        return self._validators[op_id]
