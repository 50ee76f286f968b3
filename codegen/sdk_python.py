"""The generated layer of the Python SDK (`sdks/python/klearkarma/generated/`).

Data and thin methods only: the operation table, environments and OAuth endpoints as
literals, TypedDict models, and one class per namespace whose methods pass their arguments
to the hand-written runtime (`klearkarma.transport`).
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from codegen.generate import literal
from codegen.pytypes import TypeWriter
from codegen.sdk import Input, Method, Namespace, Sdk, pascal
from kkcore.errors import SpecError

RESERVED = {"config", "oauth", "tokens", "close", "aclose", "base_url"}
INDENT = " " * 4


class SdkTypeWriter(TypeWriter):
    """pytypes' TypedDict writer, with files as the SDK's FileInput."""

    def _one(self, schema: dict[str, Any], t: str, hint: str) -> str:
        if t == "string" and schema.get("format") == "binary":
            return "FileInput"
        return super()._one(schema, t, hint)


class _Types:
    def __init__(self, sdk: Sdk) -> None:
        self.sdk = sdk
        self.w = SdkTypeWriter(sdk.defs)
        self.inputs: dict[tuple[str, str], str] = {}
        for name, schema in sdk.defs.items():
            self.w.define(name, schema)

    def deref(self, schema: Any) -> dict[str, Any]:
        while isinstance(schema, dict) and str(schema.get("$ref", "")).startswith("#/$defs/"):
            schema = self.sdk.defs.get(schema["$ref"][8:], {})
        return schema if isinstance(schema, dict) else {}

    def qualify(self, expr: str) -> str:
        """Prefix model names with `models.` (outside string literals)."""
        parts = re.split(r"('[^']*'|\"[^\"]*\")", expr)
        for i in range(0, len(parts), 2):
            parts[i] = re.sub(
                r"\b([A-Z]\w*)\b",
                lambda m: f"models.{m.group(1)}" if m.group(1) in self.w.names else m.group(1),
                parts[i],
            )
        return "".join(parts)

    def input(self, method: Method, i: Input) -> str:
        key = (method.operation_id, i.snake)
        if key not in self.inputs:
            self.inputs[key] = self._input(method, i)
        return self.inputs[key]

    def _input(self, method: Method, i: Input) -> str:
        target = self.deref(i.schema)
        if target.get("type") == "string" and target.get("format") == "date-time":
            return "str | datetime"
        if target.get("type") == "string" and target.get("format") == "date":
            return "str | date"
        hint = pascal(f"{method.namespace}_{method.snake}_{i.snake}")
        return self.qualify(self.w.expr(i.schema, hint))

    def model(self, name: str | None) -> str:
        if name is None:
            return "dict[str, Any]"
        return self.qualify(self.w.expr({"$ref": f"#/$defs/{name}"}, name))

    def result(self, method: Method, page: str) -> str:
        if method.result == "none":
            return "None"
        if method.result == "page":
            return f"{page}[{self.model(method.model)}]"
        if method.result == "json" and method.model is None:
            return "Any"
        return self.model(method.model)


def _docstring(method: Method, indent: str) -> list[str]:
    lines = [f"{method.summary or method.operation_id}."]
    lines.append("")
    lines.append(f"{method.http_method} {method.path}")
    if method.description:
        lines.append("")
        for line in method.description.splitlines():
            lead = line[: len(line) - len(line.lstrip())]
            extra = "  " if line.lstrip().startswith(("* ", "- ")) else ""
            lines += textwrap.wrap(line, 92 - len(indent), subsequent_indent=lead + extra) or [""]
    text = "\n".join(f"{indent}{line}" if line else "" for line in lines).replace('"""', "'''")
    return [f'{indent}"""{text.lstrip()}', f'{indent}"""']


BUILTINS = ("list", "dict", "str", "int", "float", "bool", "type")


def _unshadow(expr: str, shadowed: set[str]) -> str:
    """`list[...]` as `builtins.list[...]` in a class that has a method called `list`."""
    for name in shadowed:
        expr = re.sub(rf"(?<![\w.'\"]){name}\b", f"builtins.{name}", expr)
    return expr


def _signature(types: _Types, method: Method, async_: bool, shadowed: set[str]) -> list[str]:
    page = "AsyncPage" if async_ else "Page"
    params = ["self"]
    positional = [i for i in method.inputs if i.location == "path"]
    keyword = [i for i in method.inputs if i.location != "path"]
    params += [f"{i.snake}: {_unshadow(types.input(method, i), shadowed)}" for i in positional]
    if keyword:
        params.append("*")
    for i in keyword:
        t = _unshadow(types.input(method, i), shadowed)
        params.append(f"{i.snake}: {t}" if i.required else f"{i.snake}: {t} | Omit = OMIT")
    head = f"{INDENT}{'async ' if async_ else ''}def {method.snake}("
    ret = _unshadow(types.result(method, page), shadowed)
    lines = [head] + [f"{INDENT * 2}{p}," for p in params] + [f"{INDENT}) -> {ret}:"]
    lines += _docstring(method, INDENT * 2)
    call = f"{'await ' if async_ else ''}self._call("
    args = [f'"{method.operation_id}"'] + [f"{i.snake}={i.snake}" for i in method.inputs]
    if ret == "None":
        lines.append(f"{INDENT * 2}{call}")
        lines += [f"{INDENT * 3}{a}," for a in args]
        lines.append(f"{INDENT * 2})")
    elif ret == "Any":
        lines.append(f"{INDENT * 2}return {call}")
        lines += [f"{INDENT * 3}{a}," for a in args]
        lines.append(f"{INDENT * 2})")
    else:
        lines.append(f"{INDENT * 2}return cast(")
        lines.append(f'{INDENT * 3}"{ret}",')
        lines.append(f"{INDENT * 3}{call}")
        lines += [f"{INDENT * 4}{a}," for a in args]
        lines.append(f"{INDENT * 3}),")
        lines.append(f"{INDENT * 2})")
    return lines


def _resource_class(types: _Types, ns: Namespace, async_: bool) -> str:
    prefix = "Async" if async_ else ""
    lines = [f"class {prefix}{ns.pascal}Resource({prefix or 'Sync'}Resource):"]
    doc = ns.description or f"The {ns.name} operations."
    lines.append(f'{INDENT}"""{doc.rstrip(".")}."""')
    shadowed = {m.snake for m in ns.methods} & set(BUILTINS)
    for method in ns.methods:
        lines.append("")
        lines += _signature(types, method, async_, shadowed)
    return "\n".join(lines) + "\n"


def _namespaces_class(sdk: Sdk, async_: bool) -> str:
    prefix = "Async" if async_ else ""
    transport = "AsyncTransport" if async_ else "SyncTransport"
    lines = [
        f"class {prefix or 'Sync'}Namespaces:",
        f'{INDENT}"""One attribute per namespace of the API."""',
        "",
        f"{INDENT}def __init__(self, transport: {transport}) -> None:",
    ]
    lines += [
        f"{INDENT * 2}self.{ns.snake} = {prefix}{ns.pascal}Resource(transport)"
        for ns in sdk.namespaces
    ] or [f"{INDENT * 2}pass"]
    return "\n".join(lines) + "\n"


def _imports(code: str, candidates: dict[str, str]) -> list[str]:
    """`from module import a, b` lines for the candidate names `code` uses."""
    by_module: dict[str, list[str]] = {}
    for name, module in candidates.items():
        if re.search(rf"(?<![\w.]){re.escape(name)}\b", code):
            by_module.setdefault(module, []).append(name)
    return [
        f"from {module} import {', '.join(sorted(names, key=lambda n: (not n.isupper(), n)))}"
        for module, names in sorted(by_module.items())
    ]


STDLIB = {"date": "datetime", "datetime": "datetime", "Any": "typing", "Literal": "typing"}
STDLIB |= {"cast": "typing"}
OURS = {
    "AsyncPage": "klearkarma.pagination",
    "Page": "klearkarma.pagination",
    "AsyncResource": "klearkarma.resource",
    "SyncResource": "klearkarma.resource",
    "AsyncTransport": "klearkarma.transport",
    "SyncTransport": "klearkarma.transport",
    "OMIT": "klearkarma.types",
    "FileInput": "klearkarma.types",
    "Omit": "klearkarma.types",
}


def _resources_source(sdk: Sdk, types: _Types, header: str) -> str:
    for ns in sdk.namespaces:
        if ns.snake in RESERVED:
            raise SpecError(f"tag {ns.name!r} would hide the client's own {ns.snake!r}")
    classes = [_resource_class(types, ns, a) for a in (False, True) for ns in sdk.namespaces]
    classes += [_namespaces_class(sdk, False), _namespaces_class(sdk, True)]
    body = "\n\n".join(classes)
    code = re.sub(r'"""(.*?)"""', "", body, flags=re.DOTALL)  # names in docstrings don't count
    stdlib = (["import builtins"] if "builtins." in code else []) + _imports(code, STDLIB)
    ours = _imports(code, OURS)
    if "models." in code:
        ours.insert(0, "from klearkarma.generated import models")
    head = header + '"""The API\'s namespaces: one method per operation."""\n\n'
    head += "from __future__ import annotations\n\n"
    head += "\n".join(stdlib) + ("\n\n" if stdlib else "")
    head += "\n".join(ours) + "\n\n\n"
    return head + body


def _models_source(sdk: Sdk, types: _Types, header: str) -> str:
    w = types.w
    event_refs: list[str] = []
    if "WebhookEvent" not in sdk.defs:
        for hook in sdk.webhook_schemas:
            for sub in [hook, *(hook.get("allOf") or [])]:
                ref = sub.get("$ref") if isinstance(sub, dict) else None
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    name = types.model(ref[8:]).removeprefix("models.")
                    if name not in event_refs:
                        event_refs.append(name)
        union = " | ".join(event_refs) or "dict[str, Any]"
        w.blocks.append(f"WebhookEvent: TypeAlias = {union!r}\n")
    classes = [b for b in w.blocks if b.startswith("class ")]
    others = [b for b in w.blocks if not b.startswith("class ")]
    body = "\n\n".join(classes + others)
    typing_names = [
        n for n in ("Any", "Literal", "NotRequired", "TypeAlias", "TypedDict") if n in body
    ]
    head = (
        header
        + '"""Typed models of the API\'s documents (TypedDicts: plain dicts at run time)."""\n\n'
    )
    head += "from __future__ import annotations\n\n"
    head += f"from typing import {', '.join(typing_names)}\n"
    if "FileInput" in body:
        head += "\nfrom klearkarma.types import FileInput\n"
    return head + "\n\n" + body


def _operations_source(sdk: Sdk, header: str) -> str:
    table: dict[str, Any] = {}
    for ns in sdk.namespaces:
        for m in ns.methods:
            table[m.operation_id] = {
                "method": m.http_method,
                "path": m.path,
                "inputs": {i.snake: (i.location, i.wire) for i in m.inputs},
                "body": m.body,
                "media_type": m.media_type,
                "resource_type": m.resource_type,
                "result": m.result,
            }
    return (
        header
        + '"""Every operation of the API: where each argument goes, what comes back."""\n\n'
        + "from klearkarma.types import Operation\n\n"
        + literal("OPERATIONS", "dict[str, Operation]", table)
    )


def _spec_source(sdk: Sdk, header: str) -> str:
    envs = list(sdk.environments)
    env_type = f"Literal[{', '.join(repr(e) for e in envs)}]" if envs else "str"
    oauth = {
        "authorization_url": sdk.oauth.get("authorizationUrl"),
        "token_url": sdk.oauth.get("tokenUrl"),
        "refresh_url": sdk.oauth.get("refreshUrl"),
        "scopes": list(sdk.oauth.get("scopes") or {}),
    }
    parts = [
        header + '"""What the SDK needs to know about the API besides its operations."""\n',
        "from typing import Any, Literal, TypeAlias\n",
        f"API_TITLE = {sdk.title!r}",
        f"API_VERSION = {sdk.version!r}",
        f"BASE_PATH = {sdk.base_path!r}",
        "",
        f"Environment: TypeAlias = {env_type}",
        literal("ENVIRONMENTS", "dict[str, str]", sdk.environments).rstrip(),
        "# Origin of the OAuth endpoints of each environment.",
        literal("AUTH_SERVERS", "dict[str, str]", sdk.auth_servers).rstrip(),
        literal("OAUTH", "dict[str, Any]", oauth).rstrip(),
        literal("WEBHOOK_EVENTS", "list[str]", sdk.webhook_events).rstrip(),
        f"SIGNATURE_HEADER: str | None = {sdk.signature_header!r}",
    ]
    text = "\n".join(parts) + "\n"
    if "Literal[" not in text:
        text = text.replace(
            "from typing import Any, Literal, TypeAlias", "from typing import Any, TypeAlias"
        )
    return text


def render_python(sdk: Sdk, header: str) -> dict[str, str]:
    """File name -> content of `klearkarma/generated/`."""
    types = _Types(sdk)
    resources = _resources_source(sdk, types, header)  # adds input types to the models
    models = _models_source(sdk, types, header)
    return {
        "__init__.py": header + '"""Written by `kk generate` from the OpenAPI document."""\n',
        "spec.py": _spec_source(sdk, header),
        "operations.py": _operations_source(sdk, header),
        "models.py": models,
        "resources.py": resources,
    }
