"""Python source for typed models (TypedDicts) and one handler Protocol per tag."""

from __future__ import annotations

import keyword
import re
from typing import Any

from kkcore.types import ApiTable, OperationSpec

HEADER_MODELS = """from __future__ import annotations

from typing import Any, Literal, NotRequired, TypeAlias, TypedDict

from server.bodies import UploadedFile
from server.ports import OperationRequest
"""


def pascal(name: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", name)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    return out if out and not out[0].isdigit() else "T" + out


def _py_name(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


class TypeWriter:
    """Emit TypedDicts for object schemas; other schemas become type expressions."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.blocks: list[str] = []
        self.names: set[str] = set()

    def expr(self, schema: Any, hint: str) -> str:
        if not isinstance(schema, dict):
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return pascal(ref[8:])
        if "const" in schema:
            return f"Literal[{schema['const']!r}]"
        if "enum" in schema and all(
            isinstance(v, (str, int, bool)) or v is None for v in schema["enum"]
        ):
            values = [v for v in schema["enum"] if v is not None]
            lit = f"Literal[{', '.join(repr(v) for v in values)}]" if values else "None"
            return lit + (" | None" if None in schema["enum"] and values else "")
        for key in ("oneOf", "anyOf"):
            if key in schema:
                subs = [self.expr(s, f"{hint}{i}") for i, s in enumerate(schema[key])]
                return " | ".join(dict.fromkeys(subs))
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.expr(schema["allOf"][0], hint)
        types = schema.get("type")
        if isinstance(types, list):
            return " | ".join(dict.fromkeys(self._one(schema, t, hint) for t in types))
        if isinstance(types, str):
            return self._one(schema, types, hint)
        if "properties" in schema:
            return self._one(schema, "object", hint)
        return "Any"

    def _one(self, schema: dict[str, Any], t: str, hint: str) -> str:
        if t == "string" and schema.get("format") == "binary":
            return "UploadedFile"
        simple = {
            "string": "str",
            "integer": "int",
            "number": "float",
            "boolean": "bool",
            "null": "None",
        }
        if t in simple:
            return simple[t]
        if t == "array":
            return f"list[{self.expr(schema.get('items', {}), hint + 'Item')}]"
        props = schema.get("properties")
        if not props:
            return "dict[str, Any]"
        return self.typed_dict(hint, schema)

    def typed_dict(self, name: str, schema: dict[str, Any]) -> str:
        name = pascal(name)
        while name in self.names:
            name += "_"
        self.names.add(name)
        required = set(schema.get("required") or [])
        fields = []
        for prop, sub in (schema.get("properties") or {}).items():
            t = self.expr(sub, name + pascal(prop))
            fields.append((prop, t if prop in required else f"NotRequired[{t}]"))
        if all(_py_name(p) for p, _ in fields):
            body = "\n".join(f"    {p}: {t}" for p, t in fields) or "    pass"
            self.blocks.append(f"class {name}(TypedDict):\n{body}\n")
        else:
            items = ", ".join(f"{p!r}: {t!r}" for p, t in fields)
            self.blocks.append(f"{name} = TypedDict({name!r}, {{{items}}})\n")
        return name

    def define(self, name: str, schema: dict[str, Any]) -> None:
        cls = pascal(name)
        if isinstance(schema, dict) and schema.get("properties") and "$ref" not in schema:
            self.typed_dict(cls, schema)
        else:
            self.names.add(cls)
            self.blocks.append(f"{cls}: TypeAlias = {self.expr(schema, cls + 'Value')!r}\n")


def _json_body(op: OperationSpec) -> dict[str, Any] | None:
    body = op.get("request_body")
    if not body:
        return None
    for media in body["content"].values():
        if "schema" in media:
            return media["schema"]
    return {}


def models_source(table: ApiTable, header: str) -> str:
    w = TypeWriter(table["defs"])
    for name, schema in table["defs"].items():
        w.define(name, schema)
    aliases: list[str] = []
    for op_id, op in table["operations"].items():
        base = pascal(op_id)
        params = {
            "type": "object",
            "properties": {p["name"]: p["schema"] for p in op["parameters"]},
            "required": [p["name"] for p in op["parameters"] if p["required"]],
        }
        w.typed_dict(base + "Params", params)
        body = _json_body(op)
        body_t = "None" if body is None else w.expr(body, base + "Body")
        if body is not None and not op["request_body"]["required"]:
            body_t += " | None"
        aliases.append(f"{base}Request = OperationRequest[{base}Params, {body_t!r}]\n")
    # Classes first; aliases and functional TypedDicts use quoted forward references.
    classes = [b for b in w.blocks if b.startswith("class ")]
    others = [b for b in w.blocks if not b.startswith("class ")]
    return header + HEADER_MODELS + "\n\n" + "\n\n".join(classes + others + aliases)


def protocols_source(table: ApiTable, header: str) -> str:
    by_tag: dict[str, list[str]] = {}
    for op_id, op in table["operations"].items():
        by_tag.setdefault(op["tag"], []).append(op_id)
    lines = [
        header,
        "from __future__ import annotations\n",
        "from typing import Protocol\n",
        "from generated import models",
        "from server.responses import Reply\n\n",
    ]
    names: dict[str, str] = {}
    for tag, op_ids in by_tag.items():
        cls = pascal(tag) + "Operations"
        names[tag] = cls
        lines.append(f"class {cls}(Protocol):")
        lines.append(f'    """Handlers of the {tag!r} tag: one method per operation."""\n')
        for op_id in op_ids:
            summary = table["operations"][op_id]["summary"].replace('"""', "'")
            lines.append(
                f"    async def {op_id}(self, request: models.{pascal(op_id)}Request) -> Reply:"
            )
            lines.append(f'        """{summary or op_id}"""')
            lines.append("        ...\n")
        lines.append("")
    lines.append("PROTOCOLS: dict[str, type] = {")
    lines += [f"    {tag!r}: {cls}," for tag, cls in names.items()]
    lines.append("}\n")
    return "\n".join(lines)
