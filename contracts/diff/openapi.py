"""Two OpenAPI 3.0/3.1 documents compared operation by operation, direction-aware.

Operations match on method and path with parameter names blanked (`/items/{id}` and
`/items/{item_id}` are one path); path parameters match by position, others by location and
name. Request parts are compared as requests, responses as responses (see `rules`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from contracts.diff import security, sunset
from contracts.diff.findings import Direction, Finding
from contracts.diff.refs import Resolver, as_dict
from contracts.diff.rules import fixed, schema_finding
from contracts.diff.schemas import SchemaDiff

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Unknown headers and cookies are ignored, unknown query parameters may be refused.
IGNORABLE = {"header": "request-header-removed", "cookie": "request-cookie-removed"}
DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


@dataclass
class Operation:
    label: str  # METHOD /path as written
    raw: dict[str, Any]
    params: dict[tuple[str, str], dict[str, Any]]


def _params(raw: Any, resolver: Resolver, path: str) -> dict[tuple[str, str], dict[str, Any]]:
    names = re.findall(r"\{([^}]+)\}", path)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for item in raw if isinstance(raw, list) else []:
        p = resolver.node(item)
        where, name = str(p.get("in", "")), str(p.get("name", ""))
        if where == "path" and name in names:
            name = str(names.index(name))  # by position: a renamed path parameter is the same
        elif where == "header":
            name = name.lower()
        out[(where, name)] = p
    return out


def operations(
    doc: dict[str, Any], resolver: Resolver, part: str = "paths"
) -> dict[str, Operation]:
    """Operations by method and blanked path (or, for `webhooks`, by method and name)."""
    found: dict[str, Operation] = {}
    for path, item in as_dict(doc.get(part)).items():
        item = resolver.node(item)
        shared = _params(item.get("parameters"), resolver, str(path))
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                key = f"{method.upper()} {re.sub(r'{[^}]+}', '{}', str(path))}"
                params = shared | _params(op.get("parameters"), resolver, str(path))
                found[key] = Operation(f"{method.upper()} {path}", op, params)
    return found


def _param_schema(p: dict[str, Any]) -> Any:
    if "schema" in p:
        return p["schema"]
    for media in as_dict(p.get("content")).values():
        return as_dict(media).get("schema")
    return None


def _style(p: dict[str, Any]) -> tuple[str, bool]:
    style = str(p.get("style") or DEFAULT_STYLE.get(str(p.get("in")), "form"))
    return style, bool(p.get("explode", style == "form"))


class OpenApiDiff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any], today: date) -> None:
        self.old_doc, self.new_doc, self.today = old, new, today
        self.old, self.new = Resolver(old), Resolver(new)
        self.schemas = SchemaDiff(self.old, self.new)

    def findings(self) -> list[Finding]:
        old_ops, new_ops = operations(self.old_doc, self.old), operations(self.new_doc, self.new)
        out: list[Finding] = []
        for key, a in old_ops.items():
            b = new_ops.get(key)
            if b is None:
                out.append(sunset.removed(a.label, a.raw, self.old, self.today))
            else:
                out += self.operation(a, b)
        out += [
            fixed("operation-added", new_ops[k].label, "new operation")
            for k in new_ops.keys() - old_ops.keys()
        ]
        out += security.schemes(self.old_doc, self.new_doc)
        out += self.webhooks()
        return out

    def webhooks(self) -> list[Finding]:
        """3.1 webhooks flow the other way: the server sends the body, subscribers read it."""
        old = operations(self.old_doc, self.old, "webhooks")
        new = operations(self.new_doc, self.new, "webhooks")
        out = [
            fixed("webhook-added", f"webhook {new[k].label}", "new webhook")
            for k in new.keys() - old.keys()
        ]
        for key, a in old.items():
            label = f"webhook {a.label}"
            if key not in new:
                out.append(fixed("webhook-removed", label, "subscribers no longer get it"))
                continue
            body_a = self.old.node(a.raw.get("requestBody"))
            body_b = self.new.node(new[key].raw.get("requestBody"))
            out += self.media(f"{label} payload", body_a, body_b, Direction.RESPONSE)
        return out

    def operation(self, a: Operation, b: Operation) -> Iterator[Finding]:
        where = b.label
        yield from sunset.deprecation(where, a.raw, b.raw, self.old, self.new)
        yield from self.parameters(where, a, b)
        yield from self.request_body(where, a.raw.get("requestBody"), b.raw.get("requestBody"))
        yield from self.responses(
            where, as_dict(a.raw.get("responses")), as_dict(b.raw.get("responses"))
        )
        old_sec = security.requirements(a.raw, self.old_doc)
        yield from security.compare(where, old_sec, security.requirements(b.raw, self.new_doc))

    def schema(self, where: str, old: Any, new: Any, direction: Direction) -> Iterator[Finding]:
        for d in self.schemas.compare(old, new, direction):
            yield schema_finding(
                d.aspect, d.effect, direction, f"{where} {d.path}".rstrip(), d.detail
            )

    def parameters(self, where: str, a: Operation, b: Operation) -> Iterator[Finding]:
        moved = {name for (loc, name) in b.params.keys() - a.params.keys() if loc != "path"}
        for ident, p in a.params.items():
            label = f"{where} {ident[0]} parameter {p.get('name')}"
            q = b.params.get(ident)
            if q is None:
                if ident[1] in moved:
                    new_loc = next(loc for loc, name in b.params if name == ident[1])
                    yield fixed("request-parameter-location-changed", label, f"moved to {new_loc}")
                elif ident[0] in IGNORABLE:
                    yield fixed(IGNORABLE[ident[0]], label, "servers ignore what is not documented")
                else:
                    yield fixed("request-parameter-removed", label, "parameter removed")
                continue
            yield from self._parameter(label, p, q)
        gone = {name for loc, name in a.params.keys() - b.params.keys()}
        for ident in b.params.keys() - a.params.keys():
            q = b.params[ident]
            if ident[1] in gone and ident[0] != "path":
                continue  # reported as moved
            label = f"{where} {ident[0]} parameter {q.get('name')}"
            if q.get("required") is True:
                yield fixed("required-request-parameter-added", label, "new required parameter")
            else:
                yield fixed("request-parameter-added", label, "new optional parameter")

    def _parameter(self, label: str, p: dict[str, Any], q: dict[str, Any]) -> Iterator[Finding]:
        was, now = p.get("required") is True, q.get("required") is True
        if now and not was:
            yield fixed("request-parameter-became-required", label, "now required")
        elif was and not now:
            yield fixed("request-parameter-became-optional", label, "now optional")
        (sa, ea), (sb, eb) = _style(p), _style(q)
        if sa != sb:
            yield fixed("request-parameter-style-changed", label, f"style {sa} -> {sb}")
        elif ea != eb:
            yield fixed("request-parameter-explode-changed", label, f"explode {ea} -> {eb}")
        if q.get("deprecated") is True and p.get("deprecated") is not True:
            yield fixed("request-parameter-deprecated", label, "deprecated")
        yield from self.schema(label, _param_schema(p), _param_schema(q), Direction.REQUEST)

    def request_body(self, where: str, old: Any, new: Any) -> Iterator[Finding]:
        label = f"{where} request body"
        a = self.old.node(old) if old is not None else None
        b = self.new.node(new) if new is not None else None
        if a is None or b is None:
            if b is not None:
                rule = (
                    "request-body-became-required"
                    if b.get("required") is True
                    else "request-body-added"
                )
                yield fixed(rule, label, "request body added")
            elif a is not None:
                yield fixed("request-body-removed", label, "request body no longer documented")
            return
        was, now = a.get("required") is True, b.get("required") is True
        if was != now:
            rule = "request-body-became-required" if now else "request-body-became-optional"
            yield fixed(rule, label, "now required" if now else "now optional")
        yield from self.media(label, a, b, Direction.REQUEST)

    def media(
        self, label: str, a: dict[str, Any], b: dict[str, Any], direction: Direction
    ) -> Iterator[Finding]:
        ca, cb = as_dict(a.get("content")), as_dict(b.get("content"))
        side = direction.value
        for media, spec in ca.items():
            if media not in cb:
                yield fixed(f"{side}-media-type-removed", f"{label} {media}", "media type removed")
            else:
                old, new = as_dict(spec).get("schema"), as_dict(cb[media]).get("schema")
                yield from self.schema(f"{label} {media}", old, new, direction)
        for media in cb.keys() - ca.keys():
            yield fixed(f"{side}-media-type-added", f"{label} {media}", "media type added")

    def responses(self, where: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
        # YAML reads an unquoted 200 as a number: compare status codes as text
        ra, rb = {str(k): v for k, v in old.items()}, {str(k): v for k, v in new.items()}
        for status, raw in ra.items():
            label = f"{where} response {status}"
            if status not in rb:
                yield fixed(
                    "response-status-removed", label, "response status no longer documented"
                )
                continue
            a, b = self.old.node(raw), self.new.node(rb[status])
            yield from self.media(label, a, b, Direction.RESPONSE)
            yield from self.headers(label, as_dict(a.get("headers")), as_dict(b.get("headers")))
        for status in rb.keys() - ra.keys():
            yield fixed(
                "response-status-added", f"{where} response {status}", "new response status"
            )

    def headers(self, label: str, ha: dict[str, Any], hb: dict[str, Any]) -> Iterator[Finding]:
        lower = {str(k).lower(): v for k, v in hb.items()}
        for name, raw in ha.items():
            at = f"{label} header {name}"
            a = self.old.node(raw)
            if str(name).lower() not in lower:
                rule = (
                    "response-required-header-removed"
                    if a.get("required") is True
                    else "response-header-removed"
                )
                yield fixed(rule, at, "header removed")
                continue
            b = self.new.node(lower[str(name).lower()])
            if a.get("required") is True and b.get("required") is not True:
                yield fixed("response-header-became-optional", at, "no longer always sent")
            yield from self.schema(at, _param_schema(a), _param_schema(b), Direction.RESPONSE)
        known = {str(k).lower() for k in ha}
        for name in hb:
            if str(name).lower() not in known:
                yield fixed("response-header-added", f"{label} header {name}", "header added")


def compare(old: dict[str, Any], new: dict[str, Any], today: date) -> list[Finding]:
    return OpenApiDiff(old, new, today).findings()
