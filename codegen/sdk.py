"""What every SDK generator shares: one language-neutral description of the client surface.

The description is derived from the operation table only (spec-agnostic):

- a namespace per tag, a method per operation under the REST base path; the method name is
  the operationId without the tag's noun (`searchPractitioners` in `practitioners` is
  `search`, `listUserBookings` in `users` is `list_bookings`);
- a method's inputs: path, query and header parameters, then the body — the attributes of a
  JSON:API document (`{"data": {"type", "attributes"}, "meta"}`) flattened into keyword
  inputs, the fields of a form, or one `body` input for any other JSON body;
- its result: the `data` of a JSON:API document (a resource, or a page of resources when the
  operation takes `limit`/`offset`), the whole JSON body otherwise, or nothing.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlparse

from kkcore.errors import SpecError
from kkcore.types import ApiTable, OperationSpec

Location = Literal["path", "query", "header", "attribute", "meta", "form", "body"]
BodyKind = Literal["none", "jsonapi", "json", "multipart", "form"]
ResultKind = Literal["none", "resource", "page", "data", "json"]
PAGE_PARAMS = ("limit", "offset")


@dataclass(frozen=True)
class Input:
    """One input of an SDK method."""

    wire: str  # the name on the wire (parameter, attribute or form field)
    snake: str  # a Python identifier
    camel: str  # a TypeScript property name
    location: Location
    required: bool
    schema: dict[str, Any]
    description: str = ""

    @property
    def binary(self) -> bool:
        return self.schema.get("format") == "binary"


@dataclass(frozen=True)
class Method:
    operation_id: str
    namespace: str
    snake: str
    camel: str
    http_method: str
    path: str  # relative to the REST base path
    summary: str
    description: str
    inputs: tuple[Input, ...]
    body: BodyKind
    media_type: str | None
    resource_type: str | None  # JSON:API `data.type` of the request body
    result: ResultKind
    model: str | None  # component schema name of the result (resource, page item or body)
    success: str  # the first documented 2xx status

    @property
    def paginated(self) -> bool:
        names = {i.wire for i in self.inputs if i.location == "query"}
        return self.result == "page" and set(PAGE_PARAMS) <= names


@dataclass(frozen=True)
class Namespace:
    name: str  # the tag
    snake: str
    camel: str
    pascal: str
    description: str
    methods: tuple[Method, ...]


@dataclass
class Sdk:
    title: str
    version: str
    base_path: str
    namespaces: list[Namespace]
    environments: dict[str, str]  # name -> absolute REST base URL
    auth_servers: dict[str, str]  # environment -> origin of the OAuth endpoints
    oauth: dict[str, Any]  # authorizationCode flow of the first oauth2 scheme
    webhook_events: list[str]
    webhook_schemas: list[dict[str, Any]]  # payload schema per event, in the same order
    signature_header: str | None
    defs: dict[str, Any] = field(default_factory=dict)


def words(name: str) -> list[str]:
    """`listUserBookings` / `health_records` / `X-Request-ID` -> lower-case words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def snake(name: str) -> str:
    out = "_".join(words(name)) or "value"
    if out[0].isdigit():
        out = "_" + out
    return out + "_" if keyword.iskeyword(out) or out in ("self", "cls") else out


def camel(name: str) -> str:
    ws = words(name) or ["value"]
    out = ws[0] + "".join(w[:1].upper() + w[1:] for w in ws[1:])
    return "_" + out if out[0].isdigit() else out


def pascal(name: str) -> str:
    c = camel(name)
    return c[:1].upper() + c[1:]


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def method_name(operation_id: str, tag: str) -> list[str]:
    """The operationId's words without the tag's noun right after the verb."""
    ws = words(operation_id)
    noun = words(tag)
    verb, rest = ws[:1], ws[1:]
    for candidate in (noun, [*noun[:-1], _singular(noun[-1])] if noun else noun):
        if candidate and rest[: len(candidate)] == candidate:
            rest = rest[len(candidate) :]
            break
    return verb + rest


class _Reader:
    def __init__(self, table: ApiTable) -> None:
        self.table = table
        self.defs = table["defs"]

    def deref(self, schema: Any) -> dict[str, Any]:
        seen: set[str] = set()
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in seen or not ref.startswith("#/$defs/"):
                break
            seen.add(ref)
            schema = self.defs.get(ref[8:], {})
        return schema if isinstance(schema, dict) else {}

    @staticmethod
    def ref_name(schema: Any) -> str | None:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        return ref[8:] if isinstance(ref, str) and ref.startswith("#/$defs/") else None

    def jsonapi_body(self, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]] | None:
        """(`data.type` const, attributes schema) when `schema` is a JSON:API request."""
        top = self.deref(schema)
        data = self.deref((top.get("properties") or {}).get("data"))
        props = data.get("properties") or {}
        if "attributes" not in props or set(props) - {"type", "attributes", "id"}:
            return None
        attributes = self.deref(props["attributes"])
        if attributes.get("type") not in ("object", None) or "properties" not in attributes:
            return None
        kind = self.deref(props.get("type"))
        const = kind.get("const")
        if const is None and isinstance(kind.get("enum"), list) and len(kind["enum"]) == 1:
            const = kind["enum"][0]
        return (str(const) if const is not None else None), attributes

    def result(self, op: OperationSpec) -> tuple[ResultKind, str | None, str]:
        codes = sorted(c for c in op["responses"] if c.startswith("2"))
        if not codes:
            return "none", None, "200"
        media = op["responses"][codes[0]]["content"]
        schema = next(
            (m.get("schema") for t, m in media.items() if "json" in t and "schema" in m), None
        )
        if schema is None:
            return "none", None, codes[0]
        top = self.deref(schema)
        data = (top.get("properties") or {}).get("data")
        if data is None:
            return "json", self.ref_name(schema), codes[0]
        if self.ref_name(data):
            return "resource", self.ref_name(data), codes[0]
        items = self.deref(data).get("items") if self.deref(data).get("type") == "array" else None
        if items is not None:
            return "page", self.ref_name(items), codes[0]
        return "data", None, codes[0]


def _inputs(r: _Reader, op: OperationSpec) -> tuple[list[Input], BodyKind, str | None, str | None]:
    inputs: list[Input] = []
    for p in op["parameters"]:
        if p["location"] == "cookie":
            continue
        name = p["name"]
        alias = re.sub(r"^x-", "", name, flags=re.I) if p["location"] == "header" else name
        inputs.append(
            Input(
                name,
                snake(alias),
                camel(alias),
                p["location"],
                p["required"],
                p["schema"],
            )
        )
    body = op.get("request_body")
    if not body:
        return inputs, "none", None, None
    media_type, media = next(iter(body["content"].items()))
    schema = media.get("schema") or {}
    required = body["required"]
    if media_type.startswith("multipart/") or media_type == "application/x-www-form-urlencoded":
        form = r.deref(schema)
        need = set(form.get("required") or [])
        for prop, sub in (form.get("properties") or {}).items():
            inputs.append(
                Input(prop, snake(prop), camel(prop), "form", required and prop in need, sub)
            )
        kind: BodyKind = "multipart" if media_type.startswith("multipart/") else "form"
        return inputs, kind, media_type, None
    jsonapi = r.jsonapi_body(schema) if "json" in media_type else None
    if jsonapi is None:
        inputs.append(Input("body", "body", "body", "body", required, schema))
        return inputs, "json", media_type, None
    resource_type, attributes = jsonapi
    need = set(attributes.get("required") or [])
    for prop, sub in (attributes.get("properties") or {}).items():
        inputs.append(
            Input(prop, snake(prop), camel(prop), "attribute", required and prop in need, sub)
        )
    meta = (r.deref(schema).get("properties") or {}).get("meta")
    if meta is not None:
        inputs.append(Input("meta", "meta", "meta", "meta", False, meta))
    return inputs, "jsonapi", media_type, resource_type


def _check_unique(op_id: str, inputs: list[Input]) -> None:
    for attr in ("snake", "camel"):
        seen: dict[str, Input] = {}
        for i in inputs:
            name = getattr(i, attr)
            if name in seen:
                raise SpecError(
                    f"{op_id}: inputs {seen[name].wire!r} ({seen[name].location}) and "
                    f"{i.wire!r} ({i.location}) would share the SDK name {name!r}"
                )
            seen[name] = i


def _method(r: _Reader, op: OperationSpec, descriptions: dict[str, str]) -> Method:
    inputs, body, media_type, resource_type = _inputs(r, op)
    # Required inputs first, then the optional ones: query, body, meta, headers.
    rank = {"query": 0, "attribute": 1, "form": 1, "body": 1, "meta": 2, "header": 3}
    inputs = [i for i in inputs if i.required] + sorted(
        (i for i in inputs if not i.required), key=lambda i: rank.get(i.location, 0)
    )
    _check_unique(op["operation_id"], inputs)
    result, model, success = r.result(op)
    name = method_name(op["operation_id"], op["tag"])
    return Method(
        operation_id=op["operation_id"],
        namespace=op["tag"],
        snake="_".join(name),
        camel=camel("_".join(name)),
        http_method=op["method"],
        path=op["path"][len(r.table["base_path"]) :] or "/",
        summary=op["summary"],
        description=descriptions.get(op["operation_id"], ""),
        inputs=tuple(inputs),
        body=body,
        media_type=media_type,
        resource_type=resource_type,
        result=result,
        model=model,
        success=success,
    )


def _environments(doc: dict[str, Any]) -> dict[str, str]:
    """Absolute servers by the first word of their description (`Production` -> production)."""
    out: dict[str, str] = {}
    for server in doc.get("servers") or []:
        url = str(server.get("url", ""))
        name = (words(str(server.get("description", ""))) or [""])[0]
        if urlparse(url).scheme in ("http", "https") and name and name not in out:
            out[name] = url.rstrip("/")
    return out


def _auth_servers(doc: dict[str, Any], table: ApiTable, envs: dict[str, str]) -> dict[str, str]:
    """Where each environment's OAuth endpoints live: a server of their path items that
    names the environment, else the origin of the environment's REST base URL."""
    flow = _oauth_flow(table)
    path = str(flow.get("tokenUrl", ""))
    item = (doc.get("paths") or {}).get(path) or {}
    named = {}
    for server in item.get("servers") or []:
        url = str(server.get("url", ""))
        name = (words(str(server.get("description", ""))) or [""])[0]
        if urlparse(url).scheme in ("http", "https"):
            named[name] = url.rstrip("/")
    out = {}
    for env, base in envs.items():
        u = urlparse(base)
        out[env] = named.get(env, f"{u.scheme}://{u.netloc}")
    return out


def _oauth_flow(table: ApiTable) -> dict[str, Any]:
    for scheme in (table.get("security_schemes") or {}).values():
        if scheme.get("type") == "oauth2":
            flow = (scheme.get("flows") or {}).get("authorizationCode")
            if isinstance(flow, dict):
                return dict(flow)
    return {}


def _signature_header(doc: dict[str, Any]) -> str | None:
    for raw in (doc.get("webhooks") or {}).values():
        for param in (raw.get("post") or {}).get("parameters") or []:
            if "$ref" in param:
                target: Any = doc
                for part in param["$ref"][2:].split("/"):
                    target = target.get(part, {}) if isinstance(target, dict) else {}
                param = target
            name = str(param.get("name", ""))
            if param.get("in") == "header" and "signature" in name.lower():
                return name
    return None


def build_sdk(table: ApiTable, doc: dict[str, Any]) -> Sdk:
    """The SDK surface of one spec; raises SpecError on a name two inputs or methods share."""
    r = _Reader(table)
    descriptions = {
        str(op.get("operationId")): str(op.get("description", "")).strip()
        for item in (doc.get("paths") or {}).values()
        if isinstance(item, dict)
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    tag_docs = {str(t.get("name")): str(t.get("description", "")) for t in doc.get("tags") or []}
    grouped: dict[str, list[Method]] = {}
    base = table["base_path"]
    for op in table["operations"].values():
        if base and not (op["path"] == base or op["path"].startswith(base + "/")):
            continue  # outside the REST API (OAuth, discovery): the runtimes handle those
        grouped.setdefault(op["tag"], []).append(_method(r, op, descriptions))
    namespaces = []
    for tag, methods in grouped.items():
        names: dict[str, str] = {}
        for m in methods:
            if m.snake in names:
                raise SpecError(
                    f"{m.operation_id} and {names[m.snake]} would both be {tag}.{m.snake}"
                )
            names[m.snake] = m.operation_id
        namespaces.append(
            Namespace(
                tag, snake(tag), camel(tag), pascal(tag), tag_docs.get(tag, ""), tuple(methods)
            )
        )
    envs = _environments(doc)
    return Sdk(
        title=table["title"],
        version=table["version"],
        base_path=base,
        namespaces=namespaces,
        environments=envs,
        auth_servers=_auth_servers(doc, table, envs),
        oauth=_oauth_flow(table),
        webhook_events=list(table["webhooks"]),
        webhook_schemas=[hook["schema"] for hook in table["webhooks"].values()],
        signature_header=_signature_header(doc),
        defs=table["defs"],
    )
