"""The generated layer of the TypeScript SDK (`sdks/typescript/sdk/src/generated/`).

`types.ts` has the spec's schemas as TypeScript types (snake_case, as the API sends them);
`resources.ts` one class per namespace whose methods take camelCase inputs; the operation
table in `operations.ts` maps each input to its wire name (nested objects included), and the
hand-written runtime (`src/transport.ts`) does the rest.
"""

from __future__ import annotations

import json
from typing import Any

from codegen.sdk import Method, Namespace, Sdk, pascal
from codegen.sdk_typescript_types import RESERVED, TsTypes, jsdoc, ts_key, wrap_text
from kkcore.errors import SpecError


def _result(types: TsTypes, m: Method) -> str:
    model = f"T.{types.names[m.model]}" if m.model in types.names else None
    if m.result == "none":
        return "void"
    if m.result == "page":
        return f"Page<{model or 'Record<string, unknown>'}>"
    if m.result in ("resource", "data"):
        return model or "Record<string, unknown>"
    return model or "unknown"


def _params_type(types: TsTypes, m: Method) -> tuple[str, list[str], bool]:
    """(interface name, its declaration lines, whether any field is required)."""
    name = pascal(f"{m.namespace}_{m.snake}") + "Params"
    fields = [i for i in m.inputs if i.location != "path"]
    lines = [f"export interface {name} {{"]
    for i in fields:
        if i.location == "meta":
            t = types.expr(i.schema, "T.")
        else:
            t = types.expr(i.schema, "T.", input_=True)
        lines.append(f"  {ts_key(i.camel)}{'' if i.required else '?'}: {t};")
    lines.append("}")
    return name, lines, any(i.required for i in fields)


def _method(types: TsTypes, m: Method) -> tuple[list[str], list[str]]:
    """(parameter interface lines, method lines)."""
    pname, plines, required = _params_type(types, m)
    path = [i for i in m.inputs if i.location == "path"]
    args = [f"{i.camel}: {types.expr(i.schema, 'T.', input_=True)}" for i in path]
    has_params = any(i.location != "path" for i in m.inputs)
    if has_params:
        args.append(f"params: {pname}" + ("" if required else " = {}"))
    result = _result(types, m)
    doc = [f"{m.summary or m.operation_id}.", "", f"`{m.http_method} {m.path}`"]
    if m.description:
        doc += [""] + wrap_text(m.description, 86)
    lines = jsdoc(doc, "  ")
    lines.append(f"  {m.camel}({', '.join(args)}): Promise<{result}> {{")
    path_obj = (
        "{ " + ", ".join(f"{ts_key(i.camel)}: {i.camel}" for i in path) + " }" if path else "{}"
    )
    call = f'this.call("{m.operation_id}", {path_obj}, {"params" if has_params else "{}"})'
    lines.append(f"    return {call} as Promise<{result}>;")
    lines.append("  }")
    return (plines if has_params else []), lines


def _namespace(types: TsTypes, ns: Namespace) -> tuple[list[str], list[str]]:
    interfaces: list[str] = []
    body = jsdoc(wrap_text(ns.description or f"The {ns.name} operations.", 90), "")
    body.append(f"export class {ns.pascal}Resource extends Resource {{")
    for i, m in enumerate(ns.methods):
        plines, mlines = _method(types, m)
        if plines:
            interfaces += plines + [""]
        if i:
            body.append("")
        body += mlines
    body.append("}")
    return interfaces, body


def _resources(sdk: Sdk, types: TsTypes, header: str) -> str:
    for ns in sdk.namespaces:
        if ns.camel in RESERVED:
            raise SpecError(f"tag {ns.name!r} would hide the client's own {ns.camel!r}")
    interfaces: list[str] = []
    classes: list[str] = []
    for ns in sdk.namespaces:
        i, c = _namespace(types, ns)
        interfaces += i
        classes += c + [""]
    ns_lines = ["/** One property per namespace of the API. */", "export class Namespaces {"]
    ns_lines += [f"  readonly {ns.camel}: {ns.pascal}Resource;" for ns in sdk.namespaces]
    ns_lines.append("")
    ns_lines.append("  constructor(transport: Transport) {")
    ns_lines += [
        f"    this.{ns.camel} = new {ns.pascal}Resource(transport);" for ns in sdk.namespaces
    ]
    ns_lines += ["  }", "}"]
    uses_page = any(m.result == "page" for ns in sdk.namespaces for m in ns.methods)
    head = header
    head += "/* eslint-disable */\n"
    if uses_page:
        head += 'import type { Page } from "../pagination.js";\n'
    head += 'import { Resource, type Transport } from "../transport.js";\n'
    head += 'import type * as T from "./types.js";\n\n'
    inputs = "\n".join(types.input_blocks)
    return (
        head
        + inputs
        + ("\n" if inputs else "")
        + "\n".join(interfaces)
        + "\n".join(classes)
        + "\n"
        + "\n".join(ns_lines)
        + "\n"
    )


def _operations(sdk: Sdk, types: TsTypes, header: str) -> str:
    table: dict[str, Any] = {}
    for ns in sdk.namespaces:
        for m in ns.methods:
            inputs: dict[str, Any] = {}
            for i in m.inputs:
                entry: list[Any] = [i.location, i.wire]
                nested = (
                    types.key_map(i.schema)
                    if i.location in ("attribute", "meta", "body", "form")
                    else None
                )
                if types.is_date(i.schema):
                    entry += [nested, "date"]
                elif nested:
                    entry.append(nested)
                inputs[i.camel] = entry
            table[m.operation_id] = {
                "method": m.http_method,
                "path": m.path,
                "inputs": inputs,
                "body": m.body,
                "mediaType": m.media_type,
                "resourceType": m.resource_type,
                "result": m.result,
            }
    text = json.dumps(table, indent=2, ensure_ascii=False)
    return (
        header
        + 'import type { Operation } from "../types.js";\n\n'
        + "/** Every operation: where each input goes (with the wire names of nested keys)"
        + " and what comes back. */\n"
        + f"export const OPERATIONS: Record<string, Operation> = {text};\n"
    )


def _spec(sdk: Sdk, header: str) -> str:
    envs = list(sdk.environments)
    env_type = " | ".join(json.dumps(e) for e in envs) or "string"
    oauth = {
        "authorizationUrl": sdk.oauth.get("authorizationUrl"),
        "tokenUrl": sdk.oauth.get("tokenUrl"),
        "refreshUrl": sdk.oauth.get("refreshUrl"),
        "scopes": list(sdk.oauth.get("scopes") or {}),
    }

    def dump(value: Any) -> str:
        return json.dumps(value, indent=2, ensure_ascii=False)

    return (
        header
        + f"export const API_TITLE = {json.dumps(sdk.title)};\n"
        + f"export const API_VERSION = {json.dumps(sdk.version)};\n"
        + f"export const BASE_PATH = {json.dumps(sdk.base_path)};\n\n"
        + f"export type Environment = {env_type};\n\n"
        + f"export const ENVIRONMENTS: Record<Environment, string> = {dump(sdk.environments)};\n\n"
        + "/** Origin of the OAuth endpoints of each environment. */\n"
        + f"export const AUTH_SERVERS: Record<Environment, string> = {dump(sdk.auth_servers)};\n\n"
        + f"export const OAUTH = {dump(oauth)} as const;\n\n"
        + f"export const WEBHOOK_EVENTS = {dump(sdk.webhook_events)} as const;\n\n"
        + f"export const SIGNATURE_HEADER: string | null = {json.dumps(sdk.signature_header)};\n"
    )


def _types(sdk: Sdk, types: TsTypes, header: str) -> str:
    blocks = [types.declaration(name) for name in sdk.defs]
    events: list[str] = []
    if "WebhookEvent" not in sdk.defs:
        for hook in sdk.webhook_schemas:
            for sub in [hook, *(hook.get("allOf") or [])]:
                ref = sub.get("$ref") if isinstance(sub, dict) else None
                if isinstance(ref, str) and ref[8:] in types.names:
                    name = types.names[ref[8:]]
                    if name not in events:
                        events.append(name)
        union = " | ".join(events) or "Record<string, unknown>"
        blocks.append(
            f"/** The body of any webhook delivery. */\nexport type WebhookEvent = {union};\n"
        )
    return header + "/* eslint-disable */\n\n" + "\n".join(blocks)


def render_typescript(sdk: Sdk, header: str) -> dict[str, str]:
    """File name -> content of `sdk/src/generated/`."""
    types = TsTypes(sdk.defs)
    resources = _resources(sdk, types, header)
    return {
        "types.ts": _types(sdk, types, header),
        "operations.ts": _operations(sdk, types, header),
        "resources.ts": resources,
        "spec.ts": _spec(sdk, header),
    }
