"""The request pipeline of one operation, as ordered data.

Each entry of PIPELINE is a factory called once per operation at startup; it returns the step
for that operation, or None when the operation does not need it (no body, no security...).
A request then runs only the steps its operation needs, in this order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from kkcore.errors import ApiError, InternalError, NotAcceptable, Problem
from kkcore.types import Receive, Scope, Send
from server.answer_cache import keeping
from server.auth.access import owner, owner_of_reply
from server.bodies import BodyParser
from server.config import Runtime
from server.deprecation import deprecation
from server.documented import response_key
from server.errorformats import error_renderer
from server.identity import authorize, identify
from server.languages import content_language, language
from server.parameters import ParameterParser
from server.ports import Call, Operation, OperationRequest, Step
from server.presence import credentials
from server.responses import Reply, send_reply
from server.schemas import directional
from server.uploads import close_files
from server.validation import CompiledSchema

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
    if runtime.table.get("error_format", "problem") == "problem" and (
        response_key(op.spec["responses"], 406) is None
    ):
        return None  # a 406 it does not document is no answer for this spec's clients

    @functools.lru_cache(maxsize=256)
    def accepts(accept: str) -> bool:
        return acceptable(accept, produced)

    async def step(call: Call) -> None:
        accept = call.headers.get("accept")
        if accept and not accepts(accept):
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


def authenticate(op: Operation, runtime: Runtime) -> Step | None:
    """Who is calling (JWT or API key); a bad credential is kept for `authorization`."""
    authenticator = runtime.authenticator
    if authenticator is None or not op.spec["security"]:
        return None

    async def step(call: Call) -> None:
        call.identity = await identify(call.scope, authenticator)

    return step


def rate_limit(op: Operation, runtime: Runtime) -> Step | None:
    """The operation's `x-rate-limit` class, on top of the account budget (see RateLimiter).

    It runs before `authorization`, so requests that end in 401/403 are counted too
    (anonymous and failed ones per IP).
    """
    limiter = runtime.rate_limiter
    if limiter is None:
        return None
    rate_class = op.spec["rate_limit"]

    async def step(call: Call) -> None:
        call.extra.extend(await limiter.hit(call.scope, call.identity, rate_class))

    return step


def authorization(op: Operation, runtime: Runtime) -> Step | None:
    """401 for a missing or bad credential, 403 for a missing scope (from the spec)."""
    requirements = op.spec["security"]
    if runtime.authenticator is None or not requirements:
        return None

    async def step(call: Call) -> None:
        error = call.scope.get("kk.auth_error")
        if error is not None:
            raise error
        authorize(call.identity, requirements)

    return step


def parameters(op: Operation, runtime: Runtime) -> Step | None:
    table = runtime.table
    schemes = table.get("security_schemes") or {}
    keys = {
        str(scheme.get("name"))
        for requirement in op.spec["security"]
        for name in requirement
        for scheme in [schemes.get(name) or {}]
        if scheme.get("type") == "apiKey" and scheme.get("in") == "query"
    }
    parser = ParameterParser(
        op.spec["parameters"],
        table["defs"],
        refuse_nul=bool(table.get("refuse_nul")),
        credentials=frozenset(keys),
    )

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
    parser = BodyParser(
        spec,
        runtime.table["defs"],
        runtime.max_body_size,
        refuse_nul=bool(runtime.table.get("refuse_nul")),
    )

    async def step(call: Call) -> None:
        media, call.body, checked = await parser.read(call.receive, call.headers)
        parser.check(media, checked)

    return step


def dispatch(op: Operation, runtime: Runtime) -> Step | None:
    spec, services = op.spec, runtime.extras
    # kept read answers, where the app's handlers allow it (server.answer_cache)
    handler = keeping(spec["operation_id"], spec["method"], op.source, op.handler, services)

    async def step(call: Call) -> None:
        request: OperationRequest[Any, Any] = OperationRequest(
            spec, call.params, call.body, call.identity, call.request_id, call.headers, services
        )
        call.reply = await handler(request)

    return step


def validate_response(op: Operation, runtime: Runtime) -> Step | None:
    if not runtime.validate_responses or not op.spec["responses"]:
        return None  # an operation that documents no response allows any
    defs = runtime.table["defs"]
    # Compiled on first use: pre-serialized mock answers are never checked here, and a
    # validator per declared response would cost memory for answers that are never sent.
    validators: dict[str, dict[str, dict[str, Any] | None]] = {
        code: {mt: m.get("schema") or None for mt, m in r["content"].items()}
        for code, r in op.spec["responses"].items()
    }
    compiled: dict[tuple[str, str], CompiledSchema] = {}

    def compiled_for(key: str, media_type: str, schema: dict[str, Any]) -> CompiledSchema:
        found = compiled.get((key, media_type))
        if found is None:
            found = compiled[(key, media_type)] = CompiledSchema(
                directional(schema, defs, "response")
            )
        return found

    async def step(call: Call) -> None:
        reply = call.reply
        if reply is None or reply.checked or isinstance(reply.body, bytes):
            return
        status = str(reply.status)
        # A declared response without content (a 302) maps to {}: present, nothing to check.
        key = next((k for k in (status, status[0] + "XX", "default") if k in validators), None)
        media = validators[key] if key is not None else None
        if media is None:
            raise InternalError(f"The handler answered {status}, which the spec does not declare")
        if not media:
            return
        schema = media.get(reply.media_type, None)
        if schema is None and reply.media_type not in media:
            raise InternalError(
                f"The handler answered {reply.media_type}, which the spec does not declare"
            )
        validator = compiled_for(key or "", reply.media_type, schema) if schema else None
        if validator is not None and not validator.is_valid(reply.body):
            raise InternalError(
                "The response does not match the spec",
                problems=[
                    Problem(f"Response body: {p.detail}", pointer=p.pointer, code="INTERNAL_ERROR")
                    for p in validator.problems(reply.body)
                ],
            )
        reply.checked = True  # a kept copy of it is not checked again (server.answer_cache)

    return step


PIPELINE: list[StepFactory] = [
    deprecation,  # first: its headers go on every answer, errors too
    credentials,
    authenticate,
    language,  # after authenticate: the caller's preferred language
    rate_limit,
    authorization,
    negotiate,
    parameters,
    body,
    owner,
    dispatch,
    owner_of_reply,
    validate_response,
    content_language,
]


def compile_operation(
    op: Operation, runtime: Runtime, pipeline: list[StepFactory] | None = None
) -> Operation:
    op.steps = [s for s in (f(op, runtime) for f in (pipeline or PIPELINE)) if s is not None]
    op.render_error = error_renderer(op.spec, runtime)
    return op


class OperationEndpoint:
    """The ASGI app of one operation: runs its steps, answers ApiErrors in the operation's
    error format (JSON:API unless the spec's `x-error-format` says otherwise)."""

    __slots__ = ("op", "steps", "render_error")

    def __init__(self, op: Operation) -> None:
        self.op = op
        self.steps = tuple(op.steps)
        self.render_error = op.render_error or error_renderer(op.spec, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = Call(scope, receive)
        try:
            for step in self.steps:
                await step(call)
            reply = call.reply or Reply(204)
        except ApiError as e:
            reply = self.render_error(e, call)
        finally:
            close_files(call.body)  # uploaded files live as long as their request
        await send_reply(send, reply, call.extra)
