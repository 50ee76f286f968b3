"""GET /postman/collection.json and /postman/environment.json in `kk sandbox` and `kk mock`.

The same files as `kk export postman` (and sdks/postman/), generated from the served spec on
first request, in a worker thread (it takes seconds; the event loop keeps serving), then kept.
The environment names this server as the requester reached it (a phone on the LAN gets the
LAN address, not 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from kkcore.errors import KKError, NotImplementedOperation
from server.documented import OutsideAnswer, problem_answer
from server.responses import encode

log = logging.getLogger("kk.postman")
COLLECTION = "/postman/collection.json"
ENVIRONMENT = "/postman/environment.json"
# Environment variables naming the server: their default values are rewritten per request.
_SERVER_VARIABLES = {"baseUrl": "{origin}{base_path}", "authUrl": "{origin}"}


def _render(openapi: Path) -> tuple[str, str]:
    from codegen.sdk_output import render_postman_files  # the generator, only when asked

    (_, collection), (_, environment) = render_postman_files(openapi).items()
    return collection, environment


def for_origin(environment: str, origin: str, base_path: str) -> bytes:
    """The environment with its server URLs pointing at `origin`."""
    doc = json.loads(environment)
    for value in doc.get("values", []):
        template = _SERVER_VARIABLES.get(value.get("key"))
        if template is not None:
            value["value"] = template.format(origin=origin, base_path=base_path)
    return json.dumps(doc, indent=2, ensure_ascii=False).encode() + b"\n"


def postman_routes(
    openapi: Path, base_path: str, refuse: OutsideAnswer = problem_answer
) -> list[BaseRoute]:
    """`refuse` writes the 501 of a spec the generator cannot express (the spec's format)."""
    rendered: list[tuple[str, str] | KKError] = []
    lock = asyncio.Lock()

    async def files() -> tuple[str, str] | KKError:
        async with lock:  # one generation, however many requests arrive meanwhile
            if not rendered:
                try:
                    rendered.append(await run_in_threadpool(_render, openapi))
                except Exception as e:  # a spec the generator cannot express: say so, once
                    log.warning("Postman collection not generated: %s", e)
                    rendered.append(e if isinstance(e, KKError) else KKError(str(e)))
        return rendered[0]

    async def answer(request: Request, kind: int) -> Response:
        found = await files()
        if isinstance(found, KKError):
            error = NotImplementedOperation(f"No Postman collection for this spec: {found}")
            reply = refuse(error, request.scope.get("kk.request_id", ""))
            return Response(encode(reply), reply.status, reply.headers, reply.media_type)
        if kind == 0:
            body = found[0].encode()
        else:
            body = for_origin(found[1], str(request.base_url).rstrip("/"), base_path)
        name = ("postman_collection", "postman_environment")[kind]
        disposition = {"Content-Disposition": f'inline; filename="{name}.json"'}
        return Response(body, media_type="application/json", headers=disposition)

    async def collection(request: Request) -> Response:
        return await answer(request, 0)

    async def environment(request: Request) -> Response:
        return await answer(request, 1)

    return [
        Route(COLLECTION, collection, methods=["GET"]),
        Route(ENVIRONMENT, environment, methods=["GET"]),
    ]
