"""`kk proxy`: a validating reverse proxy in front of any backend (Prism's `proxy` command).

Every request is checked against the spec (route, parameters, body) and forwarded as sent;
every answer is checked (documented status, content type, body against its schema). What
breaks the spec is reported in the `sl-violations` header (Prism's JSON: location, severity,
code, message) and logged. With `errors=True` a request violation is answered without
reaching the upstream the way the mock answers it: the operation's documented 400/422 (with a
body valid against its schema when `error_answer`, the mock engine's, is given), else an RFC
9457 422; a response violation becomes a 502 RFC 9457 document.

An upstream that cannot be reached (refused, reset, bad URL) is a 502 and one that does not
answer within `timeout` seconds a 504, RFC 9457 documents too, whatever `errors` says; the
request's own violations still go in their `sl-violations` header.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from kkcore.errors import ApiError, BadRequest
from kkcore.types import ApiTable, OperationSpec, Receive, Scope, Send
from server.bodies import media_type_of
from server.config import Runtime
from server.documented import PROBLEM_JSON, ErrorAnswer
from server.errorformats import error_renderer
from server.pipeline import body, parameters
from server.ports import Call, Operation
from server.responses import Reply, send_reply
from server.routing import OperationRouter, raw_path
from server.schemas import directional
from server.validation import CompiledSchema

log = logging.getLogger("kk.proxy")
MAX_BODY = 10 * 1024 * 1024
TIMEOUT = 60.0  # seconds for the upstream to answer (connect, each read and write)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "te",
    "trailer",
    "proxy-authorization",
    "proxy-authenticate",
}


@dataclass
class Violation:
    location: list[str]
    message: str
    code: str = "schema"
    severity: str = "Error"

    def as_json(self) -> dict[str, Any]:
        return {
            "location": self.location,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def _from_error(where: str, error: ApiError) -> list[Violation]:
    out = []
    for p in error.problems:
        at = [where]
        if p.parameter is not None:
            at += ["parameter", p.parameter]
        elif p.pointer is not None:
            at += ["body", *[s for s in p.pointer.split("/") if s]]
        code = str(p.meta.get("validation_rule", error.code)) if p.meta else error.code
        out.append(Violation(at, p.detail, code))
    return out


@dataclass
class _Checked:
    op: Operation
    steps: list[Any] = field(default_factory=list)
    responses: dict[tuple[str, str], CompiledSchema] = field(default_factory=dict)


async def _no_op(request: Any) -> Reply:
    return Reply(204)


class ValidatingProxy:
    """The ASGI app of `kk proxy`."""

    def __init__(
        self,
        table: ApiTable,
        upstream: str,
        *,
        errors: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = TIMEOUT,
        error_answer: ErrorAnswer | None = None,
    ) -> None:
        self.table = table
        self.errors = errors
        self.timeout = timeout
        self.client = httpx.AsyncClient(
            base_url=upstream.rstrip("/"), transport=transport, timeout=timeout
        )
        extras = {"error_answer": error_answer} if error_answer is not None else {}
        runtime = Runtime(table=table, mode="mock", extras=extras)
        self.checked: dict[str, _Checked] = {}
        ops = []
        for spec in table["operations"].values():
            op = Operation(spec, _no_op, "proxy", render_error=error_renderer(spec, runtime))
            steps = [s for s in (parameters(op, runtime), body(op, runtime)) if s is not None]
            self.checked[spec["operation_id"]] = _Checked(op, steps)
            ops.append(op)
        self.router = OperationRouter(ops, None)

    async def _request_violations(
        self, scope: Scope, raw: bytes
    ) -> tuple[OperationSpec | None, list[Violation], Reply | None]:
        """The operation called, what the request breaks, and (with `errors`) the answer the
        operation documents for it."""
        found = self.router.match(raw_path(scope))
        if found is None:
            path = Violation(["request", "path"], "No operation of the spec has this path")
            return None, [path], None
        endpoint, values = found
        method = endpoint.methods.get(scope["method"])
        if method is None:
            undeclared = Violation(["request", "method"], f"{scope['method']} is not declared")
            return None, [undeclared], None
        checked = self.checked[method[0].op.spec["operation_id"]]
        scope = {**scope, "path_params": dict(zip(method[1], values, strict=False))}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        call = Call(scope, receive)
        violations: list[Violation] = []
        refusal: Reply | None = None
        for step in checked.steps:
            try:
                await step(call)
            except ApiError as e:
                violations += _from_error("request", e)
                render = checked.op.render_error
                if self.errors and refusal is None and render is not None:
                    refusal = render(e, call)
        return checked.op.spec, violations, refusal

    def _response_violations(
        self, spec: OperationSpec, response: httpx.Response
    ) -> list[Violation]:
        status = str(response.status_code)
        responses = spec["responses"]
        key = next((k for k in (status, f"{status[0]}XX", "default") if k in responses), None)
        if key is None:
            return [Violation(["response", "status"], f"Status {status} is not documented")]
        content = responses[key]["content"]
        media = media_type_of(response.headers.get("content-type", ""))
        if not content or (not response.content and not media):
            return []
        if media not in content:
            return [
                Violation(["response", "headers", "content-type"], f"{media!r} is not documented")
            ]
        schema = content[media].get("schema")
        if not schema or not (media.endswith("json")):
            return []
        checked = self.checked[spec["operation_id"]]
        validator = checked.responses.get((key, media))
        if validator is None:
            validator = checked.responses[(key, media)] = CompiledSchema(
                directional(schema, self.table["defs"], "response")
            )
        try:
            value = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return [Violation(["response", "body"], "The body is not valid JSON")]
        return (
            _from_error("response", BadRequest(problems=validator.problems(value)))
            if not validator.is_valid(value)
            else []
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(
        self, scope: Scope, raw: bytes, violations: list[Violation]
    ) -> httpx.Response | Reply:
        """The upstream's answer, or the 502/504 that stands for it."""
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in HOP_BY_HOP
        ]
        try:
            return await self.client.request(
                scope["method"],
                scope["path"],
                params=scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                content=raw,
            )
        except httpx.TimeoutException:
            title = f"The upstream did not answer within {self.timeout:g} s"
            return _problem(504, title, violations)
        except httpx.HTTPError as e:
            log.warning("%s %s: upstream: %s", scope["method"], scope["path"], e)
            title = f"The upstream could not be reached: {type(e).__name__}"
            return _problem(502, title, violations)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if len(raw) > MAX_BODY:
                await send_reply(send, _problem(413, "The request body is too large", []))
                return
            if not message.get("more_body"):
                break
        spec, violations, refusal = await self._request_violations(scope, raw)
        if violations and self.errors:
            await send_reply(send, _refused(refusal, violations))
            return
        response = await self._forward(scope, raw, violations)
        if isinstance(response, Reply):
            await send_reply(send, response)
            return
        if spec is not None:
            violations += self._response_violations(spec, response)
        for v in violations:
            log.warning(
                "%s %s: %s: %s", scope["method"], scope["path"], "/".join(v.location), v.message
            )
        if violations and self.errors and any(v.location[0] == "response" for v in violations):
            await send_reply(
                send, _problem(502, "The upstream's answer breaks the spec", violations)
            )
            return
        out = {k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP}
        out.pop("content-encoding", None)  # httpx hands over the decoded body
        media = out.pop("content-type", "application/octet-stream")
        if violations:
            out["sl-violations"] = orjson.dumps([v.as_json() for v in violations]).decode()
        await send_reply(send, Reply(response.status_code, response.content, out, media))


def build_proxy(
    spec: str,
    upstream: str,
    *,
    errors: bool = False,
    timeout: float = TIMEOUT,
    error_answer: Callable[[ApiTable], ErrorAnswer] | None = None,
) -> ValidatingProxy:
    """The proxy for a spec file or URL (raises SpecError when it does not load);
    `error_answer` makes the bodies of documented errors for the loaded table."""
    from kkcore.loader import load_document
    from kkcore.table import build_table

    table = build_table(load_document(spec))
    fit = error_answer(table) if error_answer is not None and errors else None
    return ValidatingProxy(table, upstream, errors=errors, timeout=timeout, error_answer=fit)


def _refused(refusal: Reply | None, violations: list[Violation]) -> Reply:
    """The answer to a request that breaks the spec, its violations in `sl-violations`."""
    if refusal is None:
        return _problem(422, "The request breaks the spec", violations)
    found = [v.as_json() for v in violations]
    if refusal.media_type == PROBLEM_JSON and isinstance(refusal.body, dict):
        refusal.body["validation"] = found
    refusal.headers["sl-violations"] = orjson.dumps(found).decode()
    return refusal


def _problem(status: int, title: str, violations: list[Violation]) -> Reply:
    document = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": "; ".join(v.message for v in violations) or title,
        "validation": [v.as_json() for v in violations],
    }
    headers = {"sl-violations": orjson.dumps(document["validation"]).decode()} if violations else {}
    return Reply(status, document, headers, PROBLEM_JSON)
