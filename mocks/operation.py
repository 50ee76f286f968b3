"""One operation as the kind handlers see it: its plan prepared at startup, and the request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kkcore.errors import NotFound, Problem
from kkcore.types import OperationSpec
from mocks.answers import SpecAnswers
from mocks.listing import ListPlan
from mocks.resources import OpPlan, Resource
from mocks.rules import Rule
from mocks.store import Record
from server.bodies import UploadedFile
from server.ports import OperationRequest
from server.responses import Reply

Request = OperationRequest[Any, Any]


@dataclass
class OpContext:
    """One operation's plan and the data it needs per request, prepared at startup."""

    spec: OperationSpec
    plan: OpPlan
    answers: SpecAnswers
    rules: list[Rule] = field(default_factory=list)
    listing: ListPlan | None = None
    patch: Mapping[str, Any] | None = None
    creator: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    location: str | None = None
    query_names: tuple[str, ...] = ()
    base: Record | None = None
    role: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict)
    cache_version: int = -1

    @property
    def resource(self) -> Resource:
        res = self.plan.resource
        if res is None:
            raise NotFound(f"{self.spec['operation_id']} has no resource")
        return res


def split_body(res: Resource, body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(attributes, relationships) sent in a request body, JSON:API or plain or multipart."""
    if not isinstance(body, Mapping):
        return {}, {}
    if res.jsonapi and isinstance(body.get("data"), Mapping):
        data = body["data"]
        attributes = data.get("attributes")
        relationships = data.get("relationships")
        return (
            dict(attributes) if isinstance(attributes, Mapping) else {},
            dict(relationships) if isinstance(relationships, Mapping) else {},
        )
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, UploadedFile):
            out.update(filename=value.filename, content_type=value.content_type, size=value.size)
        else:
            out[key] = value
    return out, {}


def not_found(res: Resource, value: Any, param: str) -> NotFound:
    return NotFound(problems=[Problem(f"No {res.type} with id {value} exists", parameter=param)])


def request_path(spec: OperationSpec, params: Mapping[str, Any]) -> str:
    path = spec["path"]
    for name, value in params.items():
        path = path.replace("{" + name + "}", str(value))
    return path


class CrudHooks(Protocol):
    """What the kind handlers call back into (MockEngine): events, webhook subscriptions and
    the sandbox's rules."""

    async def emit(
        self, res: Resource, record: Record, verb: str, moved: str | None, extra: tuple[str, ...]
    ) -> None: ...

    async def on_create(
        self, ctx: OpContext, res: Resource, record: Record, hidden: dict[str, Any], identity: Any
    ) -> dict[str, Any]: ...

    def list_owner(self, res: Resource | None, identity: Any) -> str | None: ...

    def rule_answer(self, ctx: OpContext, rule: Rule, request: Request) -> Reply: ...
