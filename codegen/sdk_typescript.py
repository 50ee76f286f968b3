"""The generated layer of the TypeScript SDK (`sdks/typescript/sdk/src/generated/`).

`types.ts` has the spec's schemas as TypeScript types (snake_case, as the API sends them);
`resources.ts` one class per namespace whose methods take camelCase inputs; the operation
table in `operations.ts` maps each input to its wire name (nested objects included), and the
hand-written runtime (`src/transport.ts`) does the rest.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from codegen.sdk import Method, Namespace, Sdk, camel, pascal
from kkcore.errors import SpecError

IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
RESERVED = {"config", "oauth", "tokens", "baseUrl"}


def _key(name: str) -> str:
    return name if IDENT.match(name) else json.dumps(name)


def _doc(lines: list[str], indent: str) -> list[str]:
    text = [line.replace("*/", "*\\/") for line in lines]
    return [f"{indent}/**"] + [f"{indent} *{' ' + t if t else ''}" for t in text] + [f"{indent} */"]


def _wrap(text: str, width: int) -> list[str]:
    """Wrapped lines; the text's own line breaks (lists, paragraphs) are kept."""
    out: list[str] = []
    for line in text.strip().splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        out += textwrap.wrap(
            line, width, subsequent_indent=indent + "  " * line.lstrip().startswith(("* ", "- "))
        ) or [""]
    return out or [""]


class TsTypes:
    """JSON Schema -> TypeScript type expressions; names are the spec's component names."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.names = {name: pascal(name) for name in defs}
        self.inputs: dict[str, str] = {}  # component -> camelCase input interface name
        self.input_blocks: list[str] = []

    def deref(self, schema: Any) -> dict[str, Any]:
        seen = set()
        while isinstance(schema, dict) and str(schema.get("$ref", "")).startswith("#/$defs/"):
            if schema["$ref"] in seen:
                break
            seen.add(schema["$ref"])
            schema = self.defs.get(schema["$ref"][8:], {})
        return schema if isinstance(schema, dict) else {}

    def expr(self, schema: Any, prefix: str = "", input_: bool = False, depth: int = 0) -> str:
        """A type for `schema`; `prefix` qualifies component names (`T.` outside types.ts);
        `input_` gives the camelCase form callers pass (dates may be Date objects)."""
        if not isinstance(schema, dict) or depth > 12:
            return "unknown"
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[8:]
            target = self.deref(schema)
            if input_ and self._has_object(target):
                return self.input_interface(name, prefix)
            if input_ and target.get("format") in ("date-time", "date"):
                return f"{prefix}{self.names.get(name, 'unknown')} | Date"
            return f"{prefix}{self.names.get(name, 'unknown')}"
        if "const" in schema:
            return json.dumps(schema["const"])
        if isinstance(schema.get("enum"), list):
            return " | ".join(json.dumps(v) for v in schema["enum"]) or "never"
        for key, joiner in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")):
            if isinstance(schema.get(key), list):
                subs = [self.expr(s, prefix, input_, depth + 1) for s in schema[key]]
                subs = list(dict.fromkeys(f"({s})" if " " in s else s for s in subs))
                rest = {k: v for k, v in schema.items() if k != key}
                if key == "allOf" and rest.get("properties"):
                    subs.append(self.expr(rest, prefix, input_, depth + 1))
                return joiner.join(subs) or "unknown"
        types = schema.get("type")
        if isinstance(types, list):
            parts = [self._one(schema, t, prefix, input_, depth) for t in types]
            return " | ".join(dict.fromkeys(parts))
        if isinstance(types, str):
            return self._one(schema, types, prefix, input_, depth)
        if "properties" in schema:
            return self._one(schema, "object", prefix, input_, depth)
        return "unknown"

    def _has_object(self, schema: dict[str, Any]) -> bool:
        return bool(schema.get("properties")) or any(
            isinstance(s, dict) and self._has_object(self.deref(s))
            for key in ("oneOf", "anyOf", "allOf")
            for s in schema.get(key) or []
        )

    def _one(self, schema: dict[str, Any], t: str, prefix: str, input_: bool, depth: int) -> str:
        if t == "string":
            if schema.get("format") == "binary":
                return "Blob"
            if input_ and schema.get("format") in ("date-time", "date"):
                return "string | Date"
            return "string"
        if t in ("integer", "number"):
            return "number"
        if t in ("boolean", "null"):
            return t
        if t == "array":
            item = self.expr(schema.get("items", {}), prefix, input_, depth + 1)
            return f"Array<{item}>"
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if not props:
            if isinstance(extra, dict):
                # an index signature, not Record<>: a recursive alias may refer to itself only there
                return f"{{ [key: string]: {self.expr(extra, prefix, input_, depth + 1)} }}"
            return "Record<string, unknown>"
        return self.object(schema, prefix, input_, depth)

    def object(self, schema: dict[str, Any], prefix: str, input_: bool, depth: int) -> str:
        required = set(schema.get("required") or [])
        fields = []
        for prop, sub in (schema.get("properties") or {}).items():
            name = camel(prop) if input_ else prop
            opt = "" if prop in required else "?"
            fields.append(f"{_key(name)}{opt}: {self.expr(sub, prefix, input_, depth + 1)}")
        return "{ " + "; ".join(fields) + " }"

    def input_interface(self, name: str, prefix: str) -> str:
        """`XInput`: component `name` with camelCase keys (written once, in resources.ts)."""
        if name not in self.inputs:
            iname = self.names[name] + "Input"
            self.inputs[name] = iname
            schema = self.deref({"$ref": f"#/$defs/{name}"})
            body = self.expr(schema, prefix, True, 1)
            block = f"export type {iname} = {body};\n"
            self.input_blocks.append(block)
        return self.inputs[name]

    def declaration(self, name: str) -> str:
        schema = self.defs[name]
        lines = []
        if isinstance(schema, dict) and schema.get("description"):
            lines += _doc(_wrap(str(schema["description"]), 90), "")
        tname = self.names[name]
        if (
            isinstance(schema, dict)
            and schema.get("properties")
            and "$ref" not in schema
            and not any(k in schema for k in ("oneOf", "anyOf", "allOf"))
        ):
            required = set(schema.get("required") or [])
            lines.append(f"export interface {tname} {{")
            for prop, sub in schema["properties"].items():
                if isinstance(sub, dict) and sub.get("description"):
                    lines += _doc(_wrap(str(sub["description"]), 86), "  ")
                opt = "" if prop in required else "?"
                lines.append(f"  {_key(prop)}{opt}: {self.expr(sub)};")
            lines.append("}")
        else:
            lines.append(f"export type {tname} = {self.expr(schema)};")
        return "\n".join(lines) + "\n"

    def key_map(self, schema: Any, depth: int = 0, seen: frozenset[str] = frozenset()) -> Any:
        """camelCase -> [wire name, nested map] for the object keys of `schema`, or None
        when no key below differs from its camelCase form."""
        if not isinstance(schema, dict) or depth > 12:
            return None
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                return None
            return self.key_map(self.deref(schema), depth + 1, seen | {ref})
        for key in ("oneOf", "anyOf", "allOf"):
            if isinstance(schema.get(key), list):
                merged: dict[str, Any] = {}
                for s in schema[key]:
                    sub = self.key_map(s, depth + 1, seen)
                    if isinstance(sub, dict):
                        merged.update(sub)
                return merged or None
        if schema.get("type") == "array" or "items" in schema:
            inner = self.key_map(schema.get("items"), depth + 1, seen)
            return {"[]": inner} if inner else None
        props = schema.get("properties") or {}
        out: dict[str, Any] = {}
        for prop, sub in props.items():
            nested = self.key_map(sub, depth + 1, seen)
            if self.is_date(sub):
                out[camel(prop)] = [prop, None, "date"]
            elif camel(prop) != prop or nested:
                out[camel(prop)] = [prop, nested] if nested else prop
        return out or None

    def is_date(self, schema: Any) -> bool:
        """A `format: date` string (a Date input is sent as YYYY-MM-DD, not a date-time)."""
        target = self.deref(schema)
        return (
            target.get("format") == "date"
            or any(
                isinstance(s, dict) and self.deref(s).get("format") == "date"
                for s in target.get("oneOf") or target.get("anyOf") or []
            )
            or (isinstance(target.get("type"), list) and target.get("format") == "date")
        )


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
        lines.append(f"  {_key(i.camel)}{'' if i.required else '?'}: {t};")
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
        doc += [""] + _wrap(m.description, 86)
    lines = _doc(doc, "  ")
    lines.append(f"  {m.camel}({', '.join(args)}): Promise<{result}> {{")
    path_obj = (
        "{ " + ", ".join(f"{_key(i.camel)}: {i.camel}" for i in path) + " }" if path else "{}"
    )
    call = f'this.call("{m.operation_id}", {path_obj}, {"params" if has_params else "{}"})'
    lines.append(f"    return {call} as Promise<{result}>;")
    lines.append("  }")
    return (plines if has_params else []), lines


def _namespace(types: TsTypes, ns: Namespace) -> tuple[list[str], list[str]]:
    interfaces: list[str] = []
    body = _doc(_wrap(ns.description or f"The {ns.name} operations.", 90), "")
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
