"""Mutation payloads: `{<result>: object, errors: []}`, or no result and the problems as
UserErrors (input that the REST operation's request schema refuses, or a service error)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from generated.api_table import TABLE
from handlers.graphql.nodes import camel
from kkcore.errors import ApiError, Problem
from server.schemas import directional
from server.validation import CompiledSchema

CODES = frozenset(
    {
        "VALIDATION_ERROR",
        "AUTHENTICATION_REQUIRED",
        "INVALID_TOKEN",
        "INSUFFICIENT_PERMISSIONS",
        "RESOURCE_NOT_FOUND",
        "RESOURCE_CONFLICT",
        "RATE_LIMIT_EXCEEDED",
        "PAYMENT_REQUIRED",
        "SERVICE_UNAVAILABLE",
        "BOOKING_CONFLICT",
        "PRACTITIONER_UNAVAILABLE",
        "INVALID_BOOKING_STATUS",
    }
)
_VALIDATORS: dict[str, CompiledSchema] = {}


def user_errors(code: str, problems: list[Problem]) -> list[dict[str, Any]]:
    return [
        {
            "field": camel(p.pointer.rsplit("/", 1)[-1]) if p.pointer else p.parameter,
            "message": p.detail,
            "code": code if code in CODES else "VALIDATION_ERROR",
        }
        for p in problems
    ]


def _validator(op_id: str) -> CompiledSchema:
    found = _VALIDATORS.get(op_id)
    if found is None:
        content = TABLE["operations"][op_id]["request_body"]["content"]
        schema = next(iter(content.values()))["schema"]
        found = _VALIDATORS[op_id] = CompiledSchema(directional(schema, TABLE["defs"], "request"))
    return found


def invalid(op_id: str, resource_type: str, attributes: Mapping[str, Any]) -> list[Problem]:
    """What the REST operation's request schema finds wrong with these attributes."""
    body = {"data": {"type": resource_type, "attributes": dict(attributes)}}
    check = _validator(op_id)
    return [] if check.is_valid(body) else check.problems(body)


async def payload(
    result: str,
    run: Callable[[], Awaitable[Any]],
    problems: list[Problem] | None = None,
) -> dict[str, Any]:
    """Run a mutation's service call; its ApiError becomes the payload's errors."""
    if problems:
        return {result: None, "errors": user_errors("VALIDATION_ERROR", problems)}
    try:
        return {result: await run(), "errors": []}
    except ApiError as e:
        return {result: None, "errors": user_errors(e.code, e.problems)}
