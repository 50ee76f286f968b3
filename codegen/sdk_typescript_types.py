"""TypeScript types of the SDK from JSON Schema: the models, and what a method takes and returns."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from codegen.sdk import camel, pascal

IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
RESERVED = {"config", "oauth", "tokens", "baseUrl"}


def ts_key(name: str) -> str:
    return name if IDENT.match(name) else json.dumps(name)


def jsdoc(lines: list[str], indent: str) -> list[str]:
    text = [line.replace("*/", "*\\/") for line in lines]
    return [f"{indent}/**"] + [f"{indent} *{' ' + t if t else ''}" for t in text] + [f"{indent} */"]


def wrap_text(text: str, width: int) -> list[str]:
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
            fields.append(f"{ts_key(name)}{opt}: {self.expr(sub, prefix, input_, depth + 1)}")
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
            lines += jsdoc(wrap_text(str(schema["description"]), 90), "")
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
                    lines += jsdoc(wrap_text(str(sub["description"]), 86), "  ")
                opt = "" if prop in required else "?"
                lines.append(f"  {ts_key(prop)}{opt}: {self.expr(sub)};")
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
            return {"[]": ["[]", inner]} if inner else None
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
