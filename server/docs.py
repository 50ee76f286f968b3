"""Serve the spec and Swagger UI from local assets (no CDN)."""

from __future__ import annotations

from pathlib import Path

import orjson
import swagger_ui_bundle
import yaml
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — API docs</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-ui-standalone-preset.js"></script>
<script>
window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout",
  oauth2RedirectUrl: location.origin + "/docs/static/oauth2-redirect.html"}});
window.ui.initOAuth({{clientId: "kk-sandbox", usePkceWithAuthorizationCodeGrant: true}});
</script></body></html>"""


def docs_routes(openapi_file: Path, title: str, ui: bool = True) -> list[BaseRoute]:
    """The spec as YAML and JSON, and with `ui` Swagger UI at /docs."""
    raw_yaml = openapi_file.read_bytes()
    as_json: list[bytes] = []  # built on first request: parsing the spec costs start-up time

    def raw_json() -> bytes:
        if not as_json:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            as_json.append(orjson.dumps(yaml.load(raw_yaml, Loader=loader)))  # noqa: S506
        return as_json[0]

    page = _DOCS_PAGE.format(title=title or "API")

    async def openapi_yaml(request: Request) -> Response:
        return Response(raw_yaml, media_type="application/yaml")

    async def openapi_json(request: Request) -> Response:
        return Response(raw_json(), media_type="application/json")

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    spec: list[BaseRoute] = [
        Route("/openapi.yaml", openapi_yaml, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
    ]
    if not ui:
        return spec
    return [
        *spec,
        Route("/docs", docs, methods=["GET"]),
        Mount("/docs/static", app=StaticFiles(directory=swagger_ui_bundle.swagger_ui_path)),
    ]
