"""The `problem` error format, the default for any spec that does not name another.

A request that fails (validation, a missing credential, a missing record...) is answered the
way the operation documents it: its own response for that status (400 and 422 stand in for
each other, so do 401 and 403), else its `4XX`, else its `default`, with a body valid against
that response's schema (from the mock engine when it runs: the example, or a generated body
with title/detail filled). Where the operation documents nothing that fits, the answer is an
RFC 9457 `application/problem+json` document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kkcore.errors import ApiError
from kkcore.types import ApiTable, OperationSpec, Scope
from server.responses import Reply, error_reply

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call, ErrorRenderer

PROBLEM_JSON = "application/problem+json"
# (operation, response key, status, error, request id) -> a body that fits the response
ErrorAnswer = Callable[[OperationSpec, str, int, ApiError, str], Reply | None]
# (error, request id) -> the answer to an error that belongs to no operation
OutsideAnswer = Callable[[ApiError, str], Reply]
# (error, request scope) -> the answer to an error the engine raises around the operations
# (rate limits, guards, a crash): the matched operation's own, else the outside answer
ScopedAnswer = Callable[[ApiError, Scope], Reply]
_STANDS_IN: dict[int, tuple[str, ...]] = {
    400: ("422",),
    422: ("400",),
    401: ("403",),
    403: ("401",),
}


def response_key(responses: Mapping[str, Any], status: int) -> str | None:
    """The documented response that answers `status`, or None."""
    code = str(status)
    for key in (code, *_STANDS_IN.get(status, ()), f"{code[0]}XX", "default"):
        if key in responses:
            return key
    return None


def problem_document(error: ApiError, status: int) -> dict[str, Any]:
    """RFC 9457 problem details; every problem of the error under the `errors` extension."""
    errors = []
    for p in error.problems:
        entry: dict[str, Any] = {"detail": p.detail}
        if p.pointer is not None:
            entry["pointer"] = "#" + p.pointer
        if p.parameter is not None:
            entry["parameter"] = p.parameter
        errors.append(entry)
    return {
        "type": "about:blank",
        "title": error.title,
        "status": status,
        "detail": error.problems[0].detail,
        "errors": errors,
    }


def problem(spec: OperationSpec, runtime: Runtime | None) -> ErrorRenderer:
    responses = spec["responses"]
    fit: ErrorAnswer | None = (runtime.extras.get("error_answer") if runtime else None) or None

    def render(error: ApiError, call: Call) -> Reply:
        key = response_key(responses, error.status)
        status = int(key) if key is not None and key.isdigit() else error.status
        headers = dict(error.headers)
        if key is not None:
            content = responses[key]["content"]
            if not content:
                return Reply(status, None, headers)
            if fit is not None:  # its own schema decides, even under problem+json
                reply = fit(spec, key, status, error, call.request_id)
                if reply is not None:
                    reply.headers.update(headers)
                    return reply
        return Reply(status, problem_document(error, status), headers, PROBLEM_JSON)

    return render


def problem_answer(error: ApiError, request_id: str) -> Reply:
    """RFC 9457 problem details for an error outside any operation."""
    body = problem_document(error, error.status)
    return Reply(error.status, body, dict(error.headers), PROBLEM_JSON)


def outside_answer(table: ApiTable | None) -> OutsideAnswer:
    """How errors that belong to no operation are written (no route: 404, an undeclared
    method: 405, a crash: 500): in the document's `x-error-format` when it is `jsonapi`, else
    as RFC 9457 problem details; never in a format the spec did not choose."""
    if table is not None and table.get("error_format") == "jsonapi":
        return error_reply
    return problem_answer


def scoped_answer(
    renderer_at: Callable[[Scope], ErrorRenderer | None], outside: OutsideAnswer
) -> ScopedAnswer:
    """Errors raised outside an operation's steps but for its request (the account rate limit,
    a handler crash) answered as that operation documents them (`renderer_at` finds its error
    renderer); a request of no operation gets `outside`."""
    from server.ports import Call  # the ports import the identity layer; only when used

    async def no_body() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    def answer(error: ApiError, scope: Scope) -> Reply:
        render = renderer_at(scope) if scope.get("type") == "http" else None
        if render is not None:
            return render(error, Call(scope, no_body))
        return outside(error, scope.get("kk.request_id", ""))

    return answer
