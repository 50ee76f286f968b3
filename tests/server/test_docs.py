"""/docs (Swagger UI 5), GET /graphql (GraphiQL) and /postman/*: served from what the Python
package ships, never from a CDN or a node_modules folder. What a browser makes of the pages is
tests/browser's part."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import tomllib
from typing import Any

import pytest

from kkapp.config import AppConfig
from kkapp.factory import build
from server.docs import STATIC
from tests.engine import ROOT, client

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Any:
    return build(AppConfig("sandbox")).app


ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
MANIFEST = json.loads((STATIC / "VENDORED.json").read_text())


@pytest.mark.parametrize("page", ["/docs", "/graphql"])
async def test_every_script_and_stylesheet_of_a_page_is_served_by_the_server_itself(
    sandbox: Any,
    page: str,
) -> None:
    async with client(sandbox) as c:
        html = await c.get(page, headers={"Accept": "text/html"})
        assets = [a for a in ASSET.findall(html.text) if a.endswith((".js", ".css"))]
        answers = {a: await c.get(a) for a in assets}
    assert html.status_code == 200
    assert len(assets) >= 2 and all(a.startswith("/") and not a.startswith("//") for a in assets)
    assert {a: r.status_code for a, r in answers.items()} == dict.fromkeys(assets, 200)


async def test_graphiql_assets_are_cacheable_and_unknown_ones_are_404(sandbox: Any) -> None:
    async with client(sandbox) as c:
        script = await c.get("/graphql/assets/graphiql.min.js")
        missing = await c.get("/graphql/assets/nothing.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "etag" in script.headers and len(script.content) > 500_000
    assert missing.status_code == 404


def test_swagger_ui_is_version_5_or_later_which_reads_openapi_3_1() -> None:
    major = int(MANIFEST["swagger-ui-dist"]["version"].split(".")[0])
    assert major >= 5


def test_the_vendored_files_are_what_the_manifest_and_the_pins_say() -> None:
    """Edited by hand or a pin changed without running tools/vendor-assets/vendor.py: fail."""
    pins = json.loads((ROOT / "tools" / "vendor-assets" / "package.json").read_text())
    for package, entry in MANIFEST.items():
        assert entry["version"] == pins["dependencies"][package], package
        assert entry["license"] in ("MIT", "Apache-2.0"), package
        for name, digest in entry["files"].items():
            assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
    shipped = {p.relative_to(STATIC).as_posix() for p in STATIC.glob("*/*")}
    assert shipped == {name for entry in MANIFEST.values() for name in entry["files"]}


def test_the_package_data_globs_ship_every_static_file() -> None:
    """`pip install` (not only an editable checkout) has the pages and assets."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["server"]
    server = ROOT / "server"
    files = [p.relative_to(server).as_posix() for p in STATIC.rglob("*") if p.is_file()]
    assert files and [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)] == []


def test_the_docs_page_links_the_pages_this_server_has() -> None:
    strict = build(AppConfig("strict", handlers=False)).parts.routes
    from server.docs import page_links, route_paths

    served = [url for _, url in page_links(route_paths(strict))]
    assert "/postman/collection.json" not in served and "/graphql" in served


async def test_the_sandbox_serves_the_generated_postman_files_pointing_at_itself(
    sandbox: Any,
) -> None:
    postman = ROOT / "sdks" / "postman"
    async with client(sandbox) as c:
        collection = await c.get("/postman/collection.json")
        environment = await c.get("/postman/environment.json", headers={"Host": "192.0.2.7:8123"})
    assert collection.status_code == 200
    assert collection.text == (postman / "klear-karma-api.postman_collection.json").read_text()
    values = {v["key"]: v["value"] for v in environment.json()["values"]}
    assert values["baseUrl"] == "http://192.0.2.7:8123/v1"
    assert values["authUrl"] == "http://192.0.2.7:8123"
    committed_file = postman / "klear-karma-api.sandbox.postman_environment.json"
    committed = json.loads(committed_file.read_text())
    assert {v["key"] for v in committed["values"]} == set(values)


async def test_a_missing_static_file_is_a_json_api_404_not_a_500(sandbox: Any) -> None:
    async with client(sandbox) as c:
        missing = await c.get("/docs/static/nothing.js")
        posted = await c.post("/docs/static/swagger-ui.css")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"


def test_the_banner_names_graphql_and_the_websocket_only_where_they_are_mounted() -> None:
    from server.docs import served_pages

    petstore = str(ROOT / "tests" / "fixtures" / "petstore31" / "openapi.yaml")
    plain = build(AppConfig("mock", spec=petstore)).parts.routes
    full = build(AppConfig("sandbox", handlers=False)).parts.routes
    assert served_pages(plain) == ["docs: /docs", "Postman: /postman/collection.json"]
    assert served_pages(full) == [
        "docs: /docs",
        "GraphQL: /graphql",
        "WebSocket: /ws",
        "Postman: /postman/collection.json",
    ]
