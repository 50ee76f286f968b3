"""Build the operation table (`kkcore.types.ApiTable`) from an OpenAPI document."""

from __future__ import annotations

import logging
import re
from typing import Any, cast
from urllib.parse import urlparse

from kkcore.dynamic import resolve_dynamic_refs
from kkcore.errors import SpecError
from kkcore.loader import resolve
from kkcore.normalize import to_json_schema
from kkcore.types import (
    ApiTable,
    CallbackSpec,
    HeaderSpec,
    MediaSpec,
    OperationSpec,
    ParameterSpec,
    RequestBodySpec,
    ResponseSpec,
    WebhookSpec,
)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
# OpenAPI 3: header parameters with these names "SHALL be ignored" (content negotiation,
# the request body's type and security have their own fields).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_UNSAFE = re.compile(r"[^A-Za-z0-9_]+")
_VARIABLE = re.compile(r"\{([^{}]*)\}")
log = logging.getLogger("kk.spec")


def derived_operation_id(method: str, path: str) -> str:
    """`get_pets_petId` for GET /pets/{petId}: what an operation without an id is called."""
    words = [_UNSAFE.sub("_", part).strip("_") for part in path.split("/")]
    return "_".join([method.lower(), *(w for w in words if w)])


def server_path(server: Any) -> str:
    """The path part of a Server Object's URL, variables filled with their defaults.

    Any URL form: absolute, relative (`/v1`, `v1`), templated (`{scheme}://host/{base}/`).
    """
    if not isinstance(server, dict):
        return ""
    variables = server.get("variables") or {}

    def fill(m: re.Match[str]) -> str:
        var = variables.get(m.group(1))
        return str(var.get("default", "")) if isinstance(var, dict) else ""

    path = urlparse(_VARIABLE.sub(fill, str(server.get("url") or "/"))).path.strip("/")
    return "/" + path if path else ""


class _Builder:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.openapi30 = str(doc["openapi"]).startswith("3.0")
        # One object per $ref'd component, so the renderer can write it once and share it.
        self.memo: dict[str, Any] = {}

    def shared(self, node: Any, build: Any) -> Any:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str):
            return build(node)
        if ref not in self.memo:
            self.memo[ref] = build(node)
        return self.memo[ref]

    def schema(self, node: Any) -> dict[str, Any]:
        return cast(dict[str, Any], to_json_schema(node or {}, openapi30=self.openapi30))

    def examples(self, media: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, ex in (media.get("examples") or {}).items():
            ex = resolve(self.doc, ex)
            if "value" in ex:
                out[name] = ex["value"]
        if not out and "example" in media:
            out["default"] = media["example"]
        return out

    def media(self, content: dict[str, Any]) -> dict[str, MediaSpec]:
        out: dict[str, MediaSpec] = {}
        for media_type, media in content.items():
            media = resolve(self.doc, media)
            spec: MediaSpec = {}
            if "schema" in media:
                spec["schema"] = self.schema(media["schema"])
            examples = self.examples(media)
            if examples:
                spec["examples"] = examples
            if media.get("encoding"):
                spec["encoding"] = media["encoding"]
            out[media_type] = spec
        return out

    def parameter(self, node: Any) -> ParameterSpec:
        spec: ParameterSpec = self.shared(node, self._parameter)
        return spec

    def _parameter(self, node: Any) -> ParameterSpec:
        p = resolve(self.doc, node)
        location = p["in"]
        style = p.get("style", DEFAULT_STYLE[location])
        content = p.get("content") or {}
        if "schema" not in p and len(content) != 1:
            raise SpecError(f"parameter {p['name']!r}: needs a `schema` or one `content` entry")
        media, schema = (next(iter(content.items()))[0], None) if content else ("", p["schema"])
        spec: ParameterSpec = {
            "name": p["name"],
            "location": location,
            "required": bool(p.get("required", location == "path")),
            "style": style,
            # a `content` parameter is one serialized value: no style explodes it
            "explode": bool(p.get("explode", style == "form")) and not media,
            "schema": self.schema(schema if not media else content[media].get("schema") or {}),
        }
        if media:
            spec["content"] = media
        if "x-filter" in p:
            spec["filter"] = p["x-filter"]
        return spec

    def response(self, node: Any) -> ResponseSpec:
        spec: ResponseSpec = self.shared(node, self._response)
        return spec

    def _response(self, node: Any) -> ResponseSpec:
        r = resolve(self.doc, node)
        headers: dict[str, HeaderSpec] = {}
        for name, h in (r.get("headers") or {}).items():
            headers[name] = self.shared(h, self._header)
        spec: ResponseSpec = {
            "description": r.get("description", ""),
            "headers": headers,
            "content": self.media(r.get("content") or {}),
        }
        if r.get("links"):
            spec["links"] = {k: resolve(self.doc, v) for k, v in r["links"].items()}
        return spec

    def _header(self, node: Any) -> HeaderSpec:
        h = resolve(self.doc, node)
        return {"required": bool(h.get("required")), "schema": self.schema(h.get("schema"))}

    def operation(
        self, path: str, method: str, item: dict[str, Any], op: dict[str, Any], base: str
    ) -> OperationSpec:
        op_id = op.get("operationId") or derived_operation_id(method, path)
        params: dict[tuple[str, str], ParameterSpec] = {}
        for node in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
            p = self.parameter(node)
            if p["location"] == "header" and p["name"].lower() in IGNORED_HEADERS:
                continue
            params[
                (p["location"], p["name"].lower() if p["location"] == "header" else p["name"])
            ] = p
        spec: OperationSpec = {
            "operation_id": op_id,
            "method": method.upper(),
            "path": base + path,
            "tag": (op.get("tags") or ["default"])[0],
            "summary": op.get("summary", ""),
            "parameters": list(params.values()),
            "responses": {str(k): self.response(v) for k, v in (op.get("responses") or {}).items()},
            "security": op.get("security", self.doc.get("security", [])),
            "rate_limit": op.get("x-rate-limit", "default"),
            "extensions": {
                k: v for k, v in op.items() if k.startswith("x-") and k != "x-rate-limit"
            },
        }
        if op.get("deprecated") is True:
            spec["deprecated"] = True
        if "requestBody" in op:
            body = resolve(self.doc, op["requestBody"])
            request_body: RequestBodySpec = {
                "required": bool(body.get("required", False)),
                "content": self.media(body.get("content") or {}),
            }
            spec["request_body"] = request_body
        callbacks = self.callbacks(op.get("callbacks"))
        if callbacks:
            spec["callbacks"] = callbacks
        return spec

    def callbacks(self, node: Any) -> list[CallbackSpec]:
        out: list[CallbackSpec] = []
        for name, raw in (node or {}).items():
            for url, raw_item in (resolve(self.doc, raw) or {}).items():
                item = resolve(self.doc, raw_item)
                for method in METHODS:
                    if not isinstance(item.get(method), dict):
                        continue
                    body = resolve(self.doc, item[method].get("requestBody") or {})
                    content = self.media(body.get("content") or {})
                    out.append(
                        {"name": name, "url": url, "method": method.upper(), "content": content}
                    )
        return out


def _base_path(servers: Any, default: str) -> str:
    if not servers or not isinstance(servers, list):
        return default
    return server_path(servers[0])


def _unique(op_id: str, taken: dict[str, OperationSpec]) -> str:
    if op_id not in taken:
        return op_id
    n = 2
    while f"{op_id}_{n}" in taken:
        n += 1
    log.warning("operationId %r is used more than once; one is served as %s_%d", op_id, op_id, n)
    return f"{op_id}_{n}"


def build_table(doc: dict[str, Any], *, server_fallbacks: bool = False) -> ApiTable:
    """The whole runtime table of one OpenAPI document; deterministic for a given document.

    `server_fallbacks` (`kk mock --spec`): an operation with path-item or operation `servers`
    of another base path also names its path under the document's first server
    (`fallback_path`), where clients that ignore those servers call it (server.routing)."""
    b = _Builder(doc)
    base = _base_path(doc.get("servers"), "")
    operations: dict[str, OperationSpec] = {}
    for path, raw_item in (doc.get("paths") or {}).items():
        item = resolve(doc, raw_item)
        item_base = _base_path(item.get("servers"), base)
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            spec = b.operation(path, method, item, op, _base_path(op.get("servers"), item_base))
            if server_fallbacks and spec["path"] != base + path:
                spec["fallback_path"] = base + path
            spec["operation_id"] = _unique(spec["operation_id"], operations)
            operations[spec["operation_id"]] = spec
    defs = {
        name: b.schema(s)
        for name, s in ((doc.get("components") or {}).get("schemas") or {}).items()
    }
    webhooks: dict[str, WebhookSpec] = {}
    for event, raw_item in (doc.get("webhooks") or {}).items():
        item = resolve(doc, raw_item)
        post = item.get("post") or {}
        body = resolve(doc, post.get("requestBody") or {})
        media = b.media(body.get("content") or {}).get("application/json", {})
        webhooks[event] = {
            "event": event,
            "schema": media.get("schema", {}),
            "examples": media.get("examples", {}),
        }
        if post.get("x-required-scopes"):
            webhooks[event]["scopes"] = [str(s) for s in post["x-required-scopes"]]
    info = doc.get("info") or {}
    table: ApiTable = {
        "title": str(info.get("title", "")),
        "version": str(info.get("version", "")),
        "base_path": base,
        "operations": operations,
        "defs": defs,
        "webhooks": webhooks,
        "rate_limit_classes": dict(doc.get("x-rate-limit-classes") or {}),
        "rate_limit_tiers": dict(doc.get("x-rate-limit-tiers") or {}),
        "security_schemes": {
            name: resolve(doc, scheme)
            for name, scheme in ((doc.get("components") or {}).get("securitySchemes") or {}).items()
        },
    }
    resolve_dynamic_refs(table)
    if isinstance(doc.get("x-error-format"), str):
        table["error_format"] = doc["x-error-format"]
    if doc.get("x-refuse-nul") is True:
        table["refuse_nul"] = True
    acts_as = doc.get("x-acts-as")
    if acts_as is not None:
        if not isinstance(acts_as, list) or not all(isinstance(c, str) for c in acts_as):
            raise SpecError("x-acts-as: a list of token claim names")
        table["acts_as"] = list(acts_as)
    user = doc.get("x-sandbox-user")
    if user is not None:
        if not isinstance(user, str) or not user:
            raise SpecError("x-sandbox-user: the id of a user of the sandbox data")
        table["sandbox_user"] = user
    return table
