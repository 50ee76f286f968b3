"""The request pipeline of one operation, as ordered data.

Each entry of PIPELINE is a factory called once per operation at startup; it returns the step
for that operation, or None when the operation does not need it (no body, no security...).
A request then runs only the steps its operation needs, in this order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from starlette.datastructures import Headers

from server.bodies import BodyParser
from server.config import Runtime
from server.errors import ApiError, InternalError, InvalidToken, NotAcceptable, Problem
from server.identity import Identity, authorize, bearer_token
from server.parameters import ParameterParser
from server.responses import Reply, error_reply, send_reply
from server.schemas import directional
from server.types import OperationSpec, Receive, Scope, Send
from server.validation import CompiledSchema

P = TypeVar("P")
B = TypeVar("B")


class OperationRequest(Generic[P, B]):
    """What a handler or mock receives: validated, typed inputs of one call."""

    __slots__ = ("operation", "params", "body", "identity", "request_id", "headers", "state")

    def __init__(
        self,
        operation: OperationSpec,
        params: P,
        body: B,
        identity: Identity | None,
        request_id: str,
        headers: Headers,
    ) -> None:
        self.operation = operation
        self.params = params
        self.body = body
        self.identity = identity
        self.request_id = request_id
        self.headers = headers
        self.state: dict[str, Any] = {}


Handler = Callable[[OperationRequest[Any, Any]], Awaitable[Reply]]


class Call:
    """The mutable state of one request as it passes the steps."""

    __slots__ = (
        "scope",
        "receive",
        "request_id",
        "headers",
        "params",
        "body",
        "identity",
        "reply",
        "extra",
    )

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.request_id: str = scope.get("kk.request_id", "")
        self.headers = Headers(scope=scope)
        self.params: dict[str, Any] = {}
        self.body: Any = None
        self.identity: Identity | None = None
        self.reply: Reply | None = None
        self.extra: list[tuple[bytes, bytes]] = []


Step = Callable[[Call], Awaitable[None]]


@dataclass
class Operation:
    """One operation compiled for serving: spec, handler and the steps it runs."""

    spec: OperationSpec
    handler: Handler
    source: str
    steps: list[Step] = field(default_factory=list)
    produces: tuple[str, ...] = ()


StepFactory = Callable[[Operation, Runtime], Step | None]


def negotiate(op: Operation, runtime: Runtime) -> Step | None:
    produced = sorted(
        {
            mt
            for code, r in op.spec["responses"].items()
            if code.startswith("2")
            for mt in r["content"]
        }
    )
    op.produces = tuple(produced)
    if not produced:
        return None

    async def step(call: Call) -> None:
        accept = call.headers.get("accept")
        if accept and not acceptable(accept, produced):
            raise NotAcceptable(
                f"This operation produces {', '.join(produced)}; Accept was {accept!r}"
            )

    return step


def acceptable(accept: str, produced: list[str]) -> bool:
    for part in accept.split(","):
        kind, _, params = part.strip().partition(";")
        kind = kind.strip().lower()
        if "q=0" in params.replace(" ", "") and "q=0." not in params.replace(" ", ""):
            continue
        for mt in produced:
            if kind in ("*/*", mt) or (kind.endswith("/*") and mt.startswith(kind[:-1])):
                return True
            if mt == "application/json" and kind.endswith("+json"):
                return True
    return False


def identity(op: Operation, runtime: Runtime) -> Step | None:
    requirements = op.spec["security"]
    authenticator = runtime.authenticator
    if authenticator is None or not requirements or any(not r for r in requirements):
        return None

    async def step(call: Call) -> None:
        token = bearer_token(call.headers.get("authorization"))
        if token is not None:
            call.identity = await authenticator.authenticate(token)
        elif call.headers.get("authorization"):
            raise InvalidToken("The Authorization header must be 'Bearer <token>'")
        authorize(call.identity, requirements)

    return step


def rate_limit(op: Operation, runtime: Runtime) -> Step | None:
    limiter = runtime.rate_limiter
    if limiter is None:
        return None
    rate_class = op.spec["rate_limit"]

    async def step(call: Call) -> None:
        call.extra.extend(await limiter.hit(call.scope, call.identity, rate_class))

    return step


def parameters(op: Operation, runtime: Runtime) -> Step | None:
    parser = ParameterParser(op.spec["parameters"], runtime.table["defs"])

    async def step(call: Call) -> None:
        call.params = parser.parse(
            call.scope.get("path_params", {}),
            call.scope.get("query_string", b""),
            call.scope["headers"],
        )

    return step


def body(op: Operation, runtime: Runtime) -> Step | None:
    spec = op.spec.get("request_body")
    if spec is None:
        return None
    parser = BodyParser(spec, runtime.table["defs"], runtime.max_body_size)

    async def step(call: Call) -> None:
        call.body = await parser.parse(call.receive, call.headers)

    return step


def dispatch(op: Operation, runtime: Runtime) -> Step | None:
    handler, spec = op.handler, op.spec

    async def step(call: Call) -> None:
        request: OperationRequest[Any, Any] = OperationRequest(
            spec, call.params, call.body, call.identity, call.request_id, call.headers
        )
        call.reply = await handler(request)

    return step


def validate_response(op: Operation, runtime: Runtime) -> Step | None:
    if not runtime.validate_responses:
        return None
    defs = runtime.table["defs"]
    validators: dict[str, dict[str, CompiledSchema | None]] = {
        code: {
            mt: CompiledSchema(directional(m["schema"], defs, "response"))
            if m.get("schema")
            else None
            for mt, m in r["content"].items()
        }
        for code, r in op.spec["responses"].items()
    }

    async def step(call: Call) -> None:
        reply = call.reply
        if reply is None or isinstance(reply.body, bytes):
            return
        status = str(reply.status)
        media = (
            validators.get(status) or validators.get(status[0] + "XX") or validators.get("default")
        )
        if media is None:
            raise InternalError(f"The handler answered {status}, which the spec does not declare")
        if not media:
            return
        validator = media.get(reply.media_type, None)
        if validator is None and reply.media_type not in media:
            raise InternalError(
                f"The handler answered {reply.media_type}, which the spec does not declare"
            )
        if validator is not None and not validator.is_valid(reply.body):
            raise InternalError(
                "The response does not match the spec",
                problems=[
                    Problem(f"Response body: {p.detail}", pointer=p.pointer, code="INTERNAL_ERROR")
                    for p in validator.problems(reply.body)
                ],
            )

    return step


PIPELINE: list[StepFactory] = [
    negotiate,
    identity,
    rate_limit,
    parameters,
    body,
    dispatch,
    validate_response,
]


def compile_operation(
    op: Operation, runtime: Runtime, pipeline: list[StepFactory] | None = None
) -> Operation:
    op.steps = [s for s in (f(op, runtime) for f in (pipeline or PIPELINE)) if s is not None]
    return op


class OperationEndpoint:
    """The ASGI app of one operation: runs its steps, answers JSON:API errors for ApiErrors."""

    __slots__ = ("op", "steps")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.steps = tuple(op.steps)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = Call(scope, receive)
        try:
            for step in self.steps:
                await step(call)
            reply = call.reply or Reply(204)
        except ApiError as e:
            reply = error_reply(e, call.request_id)
        await send_reply(send, reply, call.extra)
