"""`kk proxy`: a validating reverse proxy in front of any backend (Prism's `proxy` command).

Every request is checked against the spec (route, parameters, body) and forwarded as sent;
every answer is checked (documented status, content type, body against its schema). What
breaks the spec is reported in the `sl-violations` header (Prism's JSON: location, severity,
code, message) and logged. With `errors=True` a request violation is answered 422 without
reaching the upstream, and a response violation becomes a 502, both RFC 9457 documents.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from kkcore.errors import ApiError, BadRequest
from kkcore.types import ApiTable, OperationSpec, Receive, Scope, Send
from server.bodies import media_type_of
from server.config import Runtime
from server.documented import PROBLEM_JSON
from server.pipeline import body, parameters
from server.ports import Call, Operation
from server.responses import Reply, send_reply
from server.routing import OperationRouter, raw_path
from server.schemas import directional
from server.validation import CompiledSchema

log = logging.getLogger("kk.proxy")
MAX_BODY = 10 * 1024 * 1024
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
    ) -> None:
        self.table = table
        self.errors = errors
        self.client = httpx.AsyncClient(
            base_url=upstream.rstrip("/"), transport=transport, timeout=60.0
        )
        runtime = Runtime(table=table, mode="mock")
        self.checked: dict[str, _Checked] = {}
        ops = []
        for spec in table["operations"].values():
            op = Operation(spec, _no_op, "proxy")
            steps = [s for s in (parameters(op, runtime), body(op, runtime)) if s is not None]
            self.checked[spec["operation_id"]] = _Checked(op, steps)
            ops.append(op)
        self.router = OperationRouter(ops, None)

    async def _request_violations(
        self, scope: Scope, raw: bytes
    ) -> tuple[OperationSpec | None, list[Violation]]:
        found = self.router.match(raw_path(scope))
        if found is None:
            return None, [Violation(["request", "path"], "No operation of the spec has this path")]
        endpoint, values = found
        method = endpoint.methods.get(scope["method"])
        if method is None:
            return None, [Violation(["request", "method"], f"{scope['method']} is not declared")]
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
        for step in checked.steps:
            try:
                await step(call)
            except ApiError as e:
                violations += _from_error("request", e)
        return checked.op.spec, violations

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
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
        spec, violations = await self._request_violations(scope, raw)
        if violations and self.errors:
            await send_reply(send, _problem(422, "The request breaks the spec", violations))
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.decode("latin-1").lower() not in HOP_BY_HOP
        ]
        try:
            response = await self.client.request(
                scope["method"],
                scope["path"],
                params=scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                content=raw,
            )
        except httpx.HTTPError as e:
            await send_reply(send, _problem(502, f"The upstream did not answer: {e}", violations))
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


def build_proxy(spec: str, upstream: str, *, errors: bool = False) -> ValidatingProxy:
    """The proxy for a spec file or URL (raises SpecError when it does not load)."""
    from kkcore.loader import load_document
    from kkcore.table import build_table

    return ValidatingProxy(build_table(load_document(spec)), upstream, errors=errors)


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
