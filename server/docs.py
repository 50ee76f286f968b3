"""Serve the spec and Swagger UI 5 (it reads OpenAPI 3.1) from assets shipped in the package.

The assets are committed under server/static/swagger-ui by tools/vendor-assets/vendor.py from
pinned npm packages (versions in server/static/VENDORED.json): no CDN, no npm at run time.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from kkcore.errors import MethodNotAllowed, NotFound
from server.documented import OutsideAnswer, problem_answer
from server.responses import encode

STATIC = Path(__file__).parent / "static"
SWAGGER_UI = STATIC / "swagger-ui"
# The public client Swagger UI's "Authorize" signs in with (PKCE, loopback redirect).
SANDBOX_CLIENT = "kk-sandbox"


class PackageFiles(StaticFiles):
    """Files shipped in the package; a missing one is a 404 in the spec's error format (RFC 9457,
    JSON:API under `x-error-format: jsonapi`), not a 500 or Starlette's plain text."""

    def __init__(self, *, directory: Path, answer: OutsideAnswer = problem_answer) -> None:
        super().__init__(directory=directory)
        self.answer = answer

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as e:
            error = (
                MethodNotAllowed("Only GET and HEAD read files", headers={"Allow": "GET, HEAD"})
                if e.status_code == 405
                else NotFound(f"No file {scope['path']}")
            )
            reply = self.answer(error, scope.get("kk.request_id", ""))
            return Response(encode(reply), reply.status, reply.headers, reply.media_type)


def docs_page(title: str, links: list[tuple[str, str]]) -> str:
    """The /docs page; `links` (label, URL) are the server's other pages, shown above."""
    nav = " ".join(f'<a href="{url}">{label}</a>' for label, url in links)
    page = (STATIC / "docs.html").read_text(encoding="utf-8")
    return (
        page.replace("__TITLE__", title or "API")
        .replace("__LINKS__", nav)
        .replace("__CLIENT_ID__", SANDBOX_CLIENT)
    )


def docs_routes(
    openapi_file: Path,
    title: str,
    links: list[tuple[str, str]] | None = None,
    ui: bool = True,
    answer: OutsideAnswer = problem_answer,
) -> list[BaseRoute]:
    """The spec as YAML and JSON, and with `ui` Swagger UI at /docs (`answer` writes the 404
    of a missing asset)."""
    raw_yaml = openapi_file.read_bytes()
    as_json: list[bytes] = []  # built on first request: parsing the spec costs start-up time

    def raw_json() -> bytes:
        if not as_json:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            as_json.append(orjson.dumps(yaml.load(raw_yaml, Loader=loader)))  # noqa: S506
        return as_json[0]

    page = docs_page(title, links or [])
    token_js = (STATIC / "kk-token.js").read_bytes()

    async def openapi_yaml(request: Request) -> Response:
        return Response(raw_yaml, media_type="application/yaml")

    async def openapi_json(request: Request) -> Response:
        return Response(raw_json(), media_type="application/json")

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    async def saved_token(request: Request) -> Response:
        return Response(token_js, media_type="text/javascript")

    spec: list[BaseRoute] = [
        Route("/openapi.yaml", openapi_yaml, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]
    if not ui:
        return spec
    return [
        *spec,
        Route("/docs", docs, methods=["GET"]),
        Route("/docs/kk-token.js", saved_token, methods=["GET"]),
        Mount("/docs/static", app=PackageFiles(directory=SWAGGER_UI, answer=answer)),
    ]


def route_paths(routes: list[BaseRoute]) -> set[str]:
    """The paths `routes` serve (what the start-up banner and the docs page may name)."""
    return {path for r in routes if isinstance(path := getattr(r, "path", None), str)}


def page_links(paths: set[str]) -> list[tuple[str, str]]:
    """(label, URL) of the developer pages a server has besides /docs."""
    candidates = [
        ("GraphiQL", "/graphql"),
        ("Postman collection", "/postman/collection.json"),
        ("Postman environment", "/postman/environment.json"),
    ]
    found = [(label, url) for label, url in candidates if url in paths]
    return [*found, ("openapi.yaml", "/openapi.yaml"), ("openapi.json", "/openapi.json")]


def served_pages(routes: list[BaseRoute], docs: bool = True) -> list[str]:
    """The start-up banner's list: /docs and only the endpoints this server mounts."""
    paths = route_paths(routes)
    pages = ["docs: /docs" if docs else "docs off (--docs)"]
    if "/graphql" in paths:
        pages.append("GraphQL: /graphql")
    sockets = sorted(
        r.path for r in routes if isinstance(r, WebSocketRoute) and r.path != "/graphql"
    )
    pages += [f"WebSocket: {path}" for path in sockets]
    if "/postman/collection.json" in paths:
        pages.append("Postman: /postman/collection.json")
    return pages
