"""How an operation writes its errors: its `x-error-format`, else the document's, else `problem`.

A format is a factory called once per operation at startup, like a pipeline step; it returns
the renderer `(error, call) -> Reply`. Built in:

- `problem` (default): the operation's own documented error response, RFC 9457 problem
  details where it documents none (see server.documented).
- `jsonapi`: the reference's error document (Klear Karma's spec says `x-error-format: jsonapi`).
- `oauth`: RFC 6749 §5.2 `{"error", "error_description"}` for token and revocation endpoints.
- `oauth-authorize`: RFC 6749 §4.1.2.1 for the authorization endpoint: redirect to the client
  with `error=` when its redirect URI is trusted, else an HTML error page.

For the OAuth formats only request errors (400, 413, 415, 422) change shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kkcore.errors import ApiError, SpecError
from kkcore.types import OperationSpec
from server.auth.formats import oauth, oauth_authorize
from server.documented import problem
from server.languages import language_of, localized_error_reply
from server.ports import ErrorRenderer
from server.responses import Reply

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call

ErrorFormat = Callable[[OperationSpec, "Runtime | None"], ErrorRenderer]


def jsonapi(spec: OperationSpec, runtime: Runtime | None) -> ErrorRenderer:
    def render(error: ApiError, call: Call) -> Reply:
        return localized_error_reply(error, call.request_id, language_of(call))

    return render


FORMATS: dict[str, ErrorFormat] = {
    "problem": problem,
    "jsonapi": jsonapi,
    "oauth": oauth,
    "oauth-authorize": oauth_authorize,
}


def error_renderer(spec: OperationSpec, runtime: Runtime | None) -> ErrorRenderer:
    default = runtime.table.get("error_format", "problem") if runtime is not None else "jsonapi"
    name: Any = spec.get("extensions", {}).get("x-error-format", default)
    factory = FORMATS.get(name) if isinstance(name, str) else None
    if factory is None:
        raise SpecError(
            f"{spec['operation_id']}: unknown x-error-format {name!r}; known: {', '.join(FORMATS)}"
        )
    return factory(spec, runtime)
