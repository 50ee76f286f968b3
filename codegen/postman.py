"""A Postman v2.1 collection and a sandbox environment from an OpenAPI document.

- one folder per tag, one request per operation (every operation, OAuth endpoints too), in
  spec order; path parameters are `{{variables}}`, optional query parameters and headers
  are present but disabled; the body is the operation's example (one named `test...` or
  `sandbox...` if there is one, since the environment is the sandbox's, else the first);
- the spec's other examples are saved responses; the description lists the parameters and
  body fields, so a field added to the spec shows in the collection;
- auth: OAuth 2.0 authorization code with PKCE (S256) for the collection, no auth for
  operations with `security: []`; the token in use is `{{access_token}}`;
- scripts: a collection-level test checks every answer against the spec (a documented
  status; a JSON body valid against that status's schema); request-level tests carry
  values forward: the response `links` of the spec (`booking_id` of a created booking), the
  query of a redirect's `Location` (an authorization `code`) and an OAuth token response.
  A later request uses a carried value where a path parameter or body field has its name.
"""

from __future__ import annotations

import json
from typing import Any

from codegen.postman_contract import contract_script
from codegen.postman_environment import collection_auth, sandbox_environment
from codegen.postman_values import as_text, example_value, pick_example, stable_uuid, variable
from codegen.sdk import Sdk, words
from kkcore.types import ApiTable, OperationSpec

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
TOKEN_FIELDS = ("access_token", "refresh_token")


class _Builder:
    def __init__(self, sdk: Sdk, table: ApiTable, doc: dict[str, Any]) -> None:
        self.sdk = sdk
        self.table = table
        self.doc = doc
        self.defs = table["defs"]
        self.carried: set[str] = set()  # variables set by earlier requests' scripts
        self.raw_ops = {
            str(op.get("operationId")): (path, op, item)
            for path, item in (doc.get("paths") or {}).items()
            for op in item.values()
            if isinstance(op, dict) and "operationId" in op
        }

    # -- documentation --------------------------------------------------------------------
    def deref(self, schema: Any) -> dict[str, Any]:
        for _ in range(20):
            if not (isinstance(schema, dict) and "$ref" in schema):
                break
            schema = self.defs.get(str(schema["$ref"])[8:], {})
        return schema if isinstance(schema, dict) else {}

    def type_name(self, schema: Any) -> str:
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            return str(schema["$ref"])[8:]
        s = self.deref(schema)
        t = s.get("type")
        if isinstance(t, list):
            return " | ".join(map(str, t))
        if t == "array":
            return f"array of {self.type_name(s.get('items'))}"
        if "enum" in s:
            return " | ".join(f"`{v}`" for v in s["enum"])
        if "const" in s:
            return f"`{s['const']}`"
        return str(t or "any")

    def fields(self, op: OperationSpec) -> list[tuple[str, Any, bool]]:
        body = op.get("request_body")
        if not body:
            return []
        media = next(iter(body["content"].values()))
        top = self.deref(media.get("schema"))
        data = self.deref((top.get("properties") or {}).get("data"))
        attributes = self.deref((data.get("properties") or {}).get("attributes"))
        target = attributes if attributes.get("properties") else top
        need = set(target.get("required") or [])
        return [(k, v, k in need) for k, v in (target.get("properties") or {}).items()]

    def description(self, op: OperationSpec) -> str:
        _, raw, _ = self.raw_ops[op["operation_id"]]
        lines = [str(raw.get("description") or op["summary"]).strip(), ""]
        lines.append(f"`{op['method']} {op['path']}` — operationId `{op['operation_id']}`")
        scopes = sorted({s for req in op["security"] for v in req.values() for s in v})
        if scopes:
            lines.append(f"\nScopes: {', '.join(f'`{s}`' for s in scopes)}")
        params = [p for p in op["parameters"]]
        if params:
            lines += ["", "| parameter | in | type | required |", "|---|---|---|---|"]
            lines += [
                f"| `{p['name']}` | {p['location']} | {self.type_name(p['schema'])} | "
                f"{'yes' if p['required'] else 'no'} |"
                for p in params
            ]
        fields = self.fields(op)
        if fields:
            lines += ["", "| body field | type | required | description |", "|---|---|---|---|"]
            for name, schema, required in fields:
                desc = str(self.deref(schema).get("description") or "").replace("\n", " ")
                lines.append(
                    f"| `{name}` | {self.type_name(schema)} | {'yes' if required else 'no'} "
                    f"| {desc} |"
                )
        statuses = ", ".join(sorted(op["responses"]))
        lines.append(f"\nAnswers: {statuses}.")
        return "\n".join(lines)

    # -- request --------------------------------------------------------------------------
    def url(self, op: OperationSpec) -> dict[str, Any]:
        base = self.table["base_path"]
        inside = not base or op["path"] == base or op["path"].startswith(base + "/")
        host = "{{baseUrl}}" if inside else "{{authUrl}}"
        rel = op["path"][len(base) :] if inside else op["path"]
        segments = [s for s in rel.split("/") if s]
        path = [f":{s[1:-1]}" if s.startswith("{") and s.endswith("}") else s for s in segments]
        query = []
        for p in op["parameters"]:
            if p["location"] != "query":
                continue
            value = self.carry(p["name"], example_value(p["schema"], self.defs, True))
            query.append(
                {
                    "key": p["name"],
                    "value": as_text(value),
                    "disabled": not p["required"],
                    "description": f"{self.type_name(p['schema'])}"
                    + (" (required)" if p["required"] else ""),
                }
            )
        variables = [
            {
                "key": p["name"],
                "value": variable(p["name"]),
                "description": self.type_name(p["schema"]),
            }
            for p in op["parameters"]
            if p["location"] == "path"
        ]
        raw = host + ("/" + "/".join(path) if path else "")
        if query:
            raw += "?" + "&".join(f"{q['key']}={q['value']}" for q in query if not q["disabled"])
        out: dict[str, Any] = {"raw": raw.rstrip("?"), "host": [host], "path": path}
        if query:
            out["query"] = query
        if variables:
            out["variable"] = variables
        return out

    def carry(self, name: str, value: Any) -> Any:
        return variable(name) if name in self.carried else value

    def body(self, op: OperationSpec) -> tuple[dict[str, Any] | None, str | None]:
        rb = op.get("request_body")
        if not rb:
            return None, None
        media_type, media = next(iter(rb["content"].items()))
        if media_type == "application/json" and len(rb["content"]) > 1:
            # Prefer a media type whose examples were written for the sandbox.
            for t, m in rb["content"].items():
                if any(n.lower().startswith(("test", "sandbox")) for n in m.get("examples", {})):
                    media_type, media = t, m
                    break
        example = pick_example(media.get("examples") or {})
        if example is None:
            example = {}
        if isinstance(example, dict):
            example = self.carry_fields(example)
        if media_type == "application/x-www-form-urlencoded" and isinstance(example, dict):
            pairs = [{"key": k, "value": as_text(v)} for k, v in example.items()]
            return {"mode": "urlencoded", "urlencoded": pairs}, media_type
        if media_type.startswith("multipart/") and isinstance(example, dict):
            form = []
            for k, v in example.items():
                schema = self.deref(
                    (self.deref(media.get("schema")).get("properties") or {}).get(k)
                )
                if schema.get("format") == "binary":
                    form.append({"key": k, "type": "file", "src": [], "description": as_text(v)})
                else:
                    form.append({"key": k, "value": as_text(v), "type": "text"})
            return {"mode": "formdata", "formdata": form}, None
        raw = json.dumps(example, indent=2, ensure_ascii=False)
        return {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}}, media_type

    def carry_fields(self, example: dict[str, Any]) -> dict[str, Any]:
        """Top-level fields (and JSON:API attributes) named like a carried variable use it."""
        out = {k: self.carry(k, v) if isinstance(v, str) else v for k, v in example.items()}
        data = out.get("data")
        if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
            attributes = {
                k: self.carry(k, v) if isinstance(v, str) else v
                for k, v in data["attributes"].items()
            }
            out["data"] = {**data, "attributes": attributes}
        return out

    def headers(self, op: OperationSpec, media_type: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        produces: dict[str, None] = {}
        for code in sorted(op["responses"], key=lambda c: (not c.startswith("2"), c)):
            produces.update(dict.fromkeys(op["responses"][code]["content"]))
        if produces:
            out.append({"key": "Accept", "value": ", ".join(produces)})
        if media_type:
            out.append({"key": "Content-Type", "value": media_type})
        for p in op["parameters"]:
            if p["location"] == "header":
                value = example_value(p["schema"], self.defs, True)
                out.append(
                    {"key": p["name"], "value": as_text(value), "disabled": not p["required"]}
                )
        return out

    # -- scripts --------------------------------------------------------------------------
    def carry_script(self, op: OperationSpec) -> list[str]:
        lines: list[str] = []
        for code, response in sorted(op["responses"].items()):
            for link in (response.get("links") or {}).values():
                for name, expression in (link.get("parameters") or {}).items():
                    expression = str(expression)
                    if not expression.startswith("$response.body#"):
                        continue
                    pointer = expression.split("#", 1)[1]
                    lines.append(
                        f"if (pm.response.code === {int(code)}) "
                        f"carry({json.dumps(name)}, at(pm.response.json(), {json.dumps(pointer)}));"
                    )
                    self.carried.add(name)
            if code.startswith("3") and "Location" in response["headers"]:
                lines += [
                    f"if (pm.response.code === {int(code)}"
                    " && pm.response.headers.has('Location')) {",
                    "  const query = (pm.response.headers.get('Location').split('?')[1] || '')",
                    "    .split('#')[0];",
                    "  query.split('&').filter(Boolean).forEach((pair) => {",
                    "    const [name, value = ''] = pair.split('=').map(",
                    "      (part) => decodeURIComponent(part.replace(/\\+/g, ' ')));",
                    "    carry(name, value);",
                    "  });",
                    "}",
                ]
                self.carried.update(("code", "state"))
            if code.startswith("2"):
                schema = next(
                    (m.get("schema") for t, m in response["content"].items() if "json" in t), None
                )
                props = self.deref(schema).get("properties") or {}
                for name in TOKEN_FIELDS:
                    if name in props:
                        lines.append(
                            f"if (pm.response.code === {int(code)}) "
                            f"carry({json.dumps(name)}, pm.response.json()[{json.dumps(name)}]);"
                        )
                        self.carried.add(name)
        if not lines:
            return []
        return [
            "// Carry values forward (spec links, redirect parameters, OAuth tokens).",
            "(() => {",
            "  const decode = (k) => k.replace(/~1/g, '/').replace(/~0/g, '~');",
            "  const at = (doc, pointer) => pointer.split('/').slice(1)",
            "    .reduce((v, k) => (v == null ? undefined : v[decode(k)]), doc);",
            "  const carry = (name, value) => {",
            "    if (value === undefined || value === null) return;",
            "    pm.collectionVariables.set(name, String(value));",
            "    if (pm.environment.has(name)) pm.environment.set(name, String(value));",
            "  };",
            *(f"  {line}" for line in lines),
            "})();",
        ]

    def request(self, op: OperationSpec) -> dict[str, Any]:
        op_id = op["operation_id"]
        url = self.url(op)  # uses the values carried so far
        body, media_type = self.body(op)
        request: dict[str, Any] = {
            "method": op["method"],
            "header": self.headers(op, media_type),
            "url": url,
            "description": self.description(op),
        }
        if body is not None:
            request["body"] = body
        if op["security"] == [] or all(not req for req in op["security"]):
            request["auth"] = {"type": "noauth"}
        item: dict[str, Any] = {
            "id": stable_uuid("item", op_id),
            "name": op["summary"] or op_id,
            "request": request,
            "response": self.saved_responses(op, request),
        }
        if any(c.startswith("3") for c in op["responses"]):
            item["protocolProfileBehavior"] = {"followRedirects": False}
        script = self.carry_script(op)
        if script:
            item["event"] = [
                {
                    "listen": "test",
                    "script": {
                        "id": stable_uuid("test", op_id),
                        "type": "text/javascript",
                        "exec": script,
                    },
                }
            ]
        return item

    def saved_responses(self, op: OperationSpec, request: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        original = {k: request[k] for k in ("method", "header", "url")}
        for code, response in sorted(op["responses"].items()):
            if not code.isdigit() or code[0] not in "23":
                continue  # the error documents are the same everywhere: see the description
            for media_type, media in response["content"].items():
                for name, value in (media.get("examples") or {}).items():
                    body = value if isinstance(value, str) else json.dumps(value, indent=2)
                    out.append(
                        {
                            "id": stable_uuid("response", op["operation_id"], code, name),
                            "name": f"{code} {name}",
                            "originalRequest": original,
                            "status": response["description"].split("\n")[0][:80],
                            "code": int(code),
                            "_postman_previewlanguage": "json" if "json" in media_type else "html",
                            "header": [{"key": "Content-Type", "value": media_type}],
                            "body": body,
                        }
                    )
        return out

    def collection(self) -> dict[str, Any]:
        ids = {op_id: stable_uuid("item", op_id) for op_id in self.table["operations"]}
        by_tag: dict[str, list[OperationSpec]] = {}
        for op in self.table["operations"].values():
            by_tag.setdefault(op["tag"], []).append(op)
        tag_docs = {
            str(t.get("name")): str(t.get("description", "")) for t in self.doc.get("tags") or []
        }
        folders = []
        for tag, ops in by_tag.items():
            folders.append(
                {
                    "id": stable_uuid("folder", tag),
                    "name": tag,
                    "description": tag_docs.get(tag, ""),
                    "item": [self.request(op) for op in ops],
                }
            )
        info = self.doc.get("info") or {}
        return {
            "info": {
                "_postman_id": stable_uuid("collection", self.table["title"]),
                "name": self.table["title"],
                "description": str(info.get("summary") or info.get("description") or "")
                + f"\n\nVersion {self.table['version']}. Generated from the OpenAPI document by"
                " `kk export postman`; import the sandbox environment next to it.",
                "schema": SCHEMA_URL,
            },
            "auth": collection_auth(self.sdk, self.table),
            "event": [
                {
                    "listen": "test",
                    "script": {
                        "id": stable_uuid("contract"),
                        "type": "text/javascript",
                        "exec": contract_script(self.table, ids),
                    },
                }
            ],
            "variable": [
                {"key": "baseUrl", "value": next(iter(self.sdk.environments.values()), "")},
                {"key": "authUrl", "value": next(iter(self.sdk.auth_servers.values()), "")},
                {"key": "clientId", "value": "YOUR_CLIENT_ID"},
                {"key": "redirectUri", "value": "YOUR_REDIRECT_URI"},
                {"key": "scope", "value": " ".join(self.sdk.oauth.get("scopes") or {})},
            ],
            "item": folders,
        }


def slug(title: str) -> str:
    return "-".join(words(title)) or "api"


def render_postman(sdk: Sdk, table: ApiTable, doc: dict[str, Any]) -> dict[str, str]:
    """File name -> content: the collection and the sandbox environment."""
    b = _Builder(sdk, table, doc)
    name = slug(table["title"])

    def dump(value: Any) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"

    return {
        f"{name}.postman_collection.json": dump(b.collection()),
        f"{name}.sandbox.postman_environment.json": dump(sandbox_environment(sdk, table, doc)),
    }
