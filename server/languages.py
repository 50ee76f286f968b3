"""The language of an answer, as two pipeline steps.

`language` (right after authentication) decides it: `Accept-Language` when sent (RFC 9110),
else the signed-in caller's preferred language when the app can tell it (a callable in
`runtime.extras["preferred_language"]`, `async (subject) -> tag | None`; Klear Karma's
handlers read the user's `preferences.language`), else English. Errors raised before it (a
401) use `Accept-Language` alone. `content_language` (last) names it in `Content-Language`
on the answers of operations whose errors are the JSON:API documents the catalogs translate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kkcore.errors import ApiError
from server.i18n import DEFAULT, negotiate, translate, translate_detail
from server.problems import error_document
from server.responses import Reply, error_reply

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call, Operation, Step

PREFERENCE = "preferred_language"
SCOPE_KEY = "kk.language"
Lookup = Callable[[str], Awaitable[str | None]]
log = logging.getLogger("kk.server")


def accept_language(scope: Any) -> str | None:
    """The raw header, without building Starlette's Headers (this runs on every request)."""
    for name, value in scope["headers"]:
        if name == b"accept-language":
            return str(value.decode("latin-1"))
    return None


def language_of(call: Call) -> str:
    """The answer's language: the one `language` chose, else Accept-Language's."""
    chosen = call.scope.get(SCOPE_KEY)
    return chosen if isinstance(chosen, str) else negotiate(call.headers.get("accept-language"))


async def preferred(extras: dict[str, Any], subject: str) -> str:
    lookup: Lookup | None = extras.get(PREFERENCE)
    if lookup is None:
        return DEFAULT
    try:
        tag = await lookup(subject)
    except Exception:  # a preference is a nicety: never the reason a request fails
        log.exception("reading the preferred language of %s failed", subject)
        return DEFAULT
    return negotiate(tag) if tag else DEFAULT


async def language_for(headers: Any, identity: Any, extras: dict[str, Any]) -> str:
    """The language `language` would choose, for code outside the pipeline's steps (a
    handler that answers an error document itself)."""
    header = headers.get("accept-language")
    if header:
        return negotiate(header)
    return DEFAULT if identity is None else await preferred(extras, identity.subject)


def localized_error_reply(error: ApiError, request_id: str, language: str) -> Reply:
    """The error's JSON:API document, titles and details in `language`, which it names."""
    reply = error_reply(error, request_id)
    if language != DEFAULT:
        document = error_document(error, request_id)
        for entry in document["errors"]:
            entry["title"] = translate(entry["title"], language)
            entry["detail"] = translate_detail(entry["detail"], language)
        reply.body = document
    reply.headers["Content-Language"] = language
    return reply


def language(op: Operation, runtime: Runtime) -> Step | None:
    extras = runtime.extras

    async def step(call: Call) -> None:
        header = accept_language(call.scope)
        if header:
            chosen = negotiate(header)
        elif call.identity is not None:
            chosen = await preferred(extras, call.identity.subject)
        else:
            chosen = DEFAULT
        call.scope[SCOPE_KEY] = chosen

    return step


def translated(op: Operation, runtime: Runtime) -> bool:
    default = runtime.table.get("error_format", "problem")
    return bool(op.spec.get("extensions", {}).get("x-error-format", default) == "jsonapi")


def content_language(op: Operation, runtime: Runtime) -> Step | None:
    if not translated(op, runtime):
        return None

    async def step(call: Call) -> None:
        # call.extra, not reply.headers: a mock's static Reply is shared by every request
        if call.reply is not None and "Content-Language" not in call.reply.headers:
            call.extra.append((b"content-language", language_of(call).encode()))

    return step
