"""Infer the resources of any OpenAPI table and what each operation does to them.

A resource is a named response schema with an id (`Booking`, `Pet`, `Book`); its collection
holds the stored instances. Which path parameter names an instance comes from item paths
(`/bookings/{booking_id}`), from response `links` (`booking_id: $response.body#/data/id`) and
from parameter schemas that are the resource's id schema. Each operation then gets a kind:

    read      GET  .../{id}                       one stored resource
    list      GET  a page of resources            filtered by path parameters and query
    create    POST answering one resource         stored under a new id (201 + Location)
    update    PUT/PATCH .../{id}                  merged into the stored resource
    delete    DELETE .../{id}                     removed (or patched by `x-mock-patch`)
    action    POST .../{id}/verb                  `x-mock-rules` decide; answers the resource
    singleton GET/PUT .../{parent_id}/thing       one resource per parent, made on first read
    static    anything else                       examples, else generated data
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kkcore.types import ApiTable, OperationSpec
from mocks.shapes import (
    Shape,
    const_of,
    deref,
    is_array,
    plain_id_field,
    properties,
    ref_name,
    shape_of,
)
from server.schemas import directional, standalone

_ANNOTATIONS = frozenset({"description", "readOnly", "writeOnly", "examples", "title", "x-faker"})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def path_params(path: str) -> list[str]:
    return re.findall(r"\{([^}]+)\}", path)


@dataclass(frozen=True)
class Transitions:
    """A state machine declared with `x-mock-transitions` on a resource property."""

    field: str
    allowed: Mapping[str, tuple[str, ...]]
    status: int = 422
    code: str = "VALIDATION_ERROR"

    def check(self, old: Any, new: Any, *, same_is_move: bool = False) -> tuple[str, ...] | None:
        """None when old -> new is allowed, else the states `old` may move to. Keeping the
        state is no move for updates; for actions (`same_is_move`) it must be listed."""
        if old is None or (old == new and not same_is_move):
            return None
        nexts = self.allowed.get(str(old), ())
        return None if new in nexts else nexts


@dataclass(frozen=True)
class Unique:
    """`x-mock-unique`: no two stored resources share these attribute values."""

    fields: tuple[str, ...]
    status: int = 409
    code: str = "RESOURCE_CONFLICT"
    ignore: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)


@dataclass
class Resource:
    """One collection of the store."""

    key: str
    type: str
    jsonapi: bool
    ref: dict[str, Any]
    schema: dict[str, Any]
    id_field: str
    id_schema: dict[str, Any]
    id_prefix: str | None
    attributes: dict[str, Any]
    relationships: frozenset[str]
    params: set[str] = field(default_factory=set)
    listed_top_level: bool = False
    transitions: Transitions | None = None
    unique: list[Unique] = field(default_factory=list)
    hidden: frozenset[str] = frozenset()  # writeOnly attributes kept out of answers

    def attrs_of(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The attribute map of a stored record (JSON:API attributes, or the plain object)."""
        if self.jsonapi:
            attributes = record.get("attributes")
            return attributes if isinstance(attributes, dict) else {}
        return dict(record)


@dataclass
class OpPlan:
    kind: str
    resource: Resource | None
    status: int
    media_type: str
    shape: Shape
    id_param: str | None = None
    parents: tuple[str, ...] = ()


def success(spec: OperationSpec) -> tuple[int, str, dict[str, Any]] | None:
    """The lowest declared 2xx status, its first media type and that media's schema."""
    codes = sorted(
        c for c in spec["responses"] if len(c) == 3 and c.startswith("2") and c.isdigit()
    )
    if not codes:
        return None
    response = spec["responses"][codes[0]]
    for media_type, media in response["content"].items():
        return int(codes[0]), media_type, dict(media.get("schema") or {})
    return int(codes[0]), "application/json", {}


def id_prefix(schema: Mapping[str, Any]) -> str | None:
    """`^booking_[A-Za-z0-9]+$` -> `booking_`; `^(prac|test_prac)_...` -> `prac_`."""
    pattern = schema.get("pattern")
    if not isinstance(pattern, str):
        return None
    m = re.match(r"^\^(?:\(([a-z][a-z0-9]*)(?:\|[a-z0-9_|]+)?\))?([a-z][a-z0-9]*)?(_)", pattern)
    if m is None:
        return None
    head = (m.group(1) or "") + (m.group(2) or "")
    return head + "_" if head else None


def _comparable(schema: Any, defs: Mapping[str, Any]) -> Any:
    node = deref(schema, defs)
    return {k: v for k, v in node.items() if k not in _ANNOTATIONS}


def _find_transitions(attributes: Mapping[str, Any], defs: Mapping[str, Any]) -> Transitions | None:
    for name, prop in attributes.items():
        raw = prop.get("x-mock-transitions") if isinstance(prop, Mapping) else None
        if raw is None:
            raw = deref(prop, defs).get("x-mock-transitions")
        if isinstance(raw, Mapping):
            allowed = {str(k): tuple(v or ()) for k, v in (raw.get("allowed") or {}).items()}
            return Transitions(
                name, allowed, int(raw.get("status", 422)), str(raw.get("code", "VALIDATION_ERROR"))
            )
    return None


class Catalog:
    """Resources of a table and the plan of every operation, computed once at startup."""

    def __init__(self, table: ApiTable) -> None:
        self.table = table
        self.defs = table["defs"]
        self.resources: dict[str, Resource] = {}
        self.plans: dict[str, OpPlan] = {}
        shapes: dict[str, tuple[int, str, Shape]] = {}
        pending: dict[str, tuple[Shape, set[str]]] = {}
        for op_id, spec in table["operations"].items():
            found = success(spec)
            if found is None:
                continue
            status, media_type, schema = found
            shape = shape_of(schema, self.defs) if media_type.endswith("json") else Shape("other")
            shapes[op_id] = (status, media_type, shape)
            if shape.kind in ("one", "many") and shape.key:
                pending.setdefault(shape.key, (shape, set()))
                if spec["path"].endswith("}") and spec["method"] != "POST":
                    pending[shape.key][1].add(path_params(spec["path"])[-1])
        for shape, hints in pending.values():
            self._add(shape, sorted(hints))
        self._item_params(shapes)
        for op_id, spec in table["operations"].items():
            status, media_type, shape = shapes.get(op_id, (0, "", Shape("other")))
            self.plans[op_id] = self._plan(spec, status, media_type, shape)
        self._extensions()

    # -- resources ----------------------------------------------------------------------------

    def _add(self, shape: Shape, hints: list[str]) -> None:
        key = shape.key
        if key is None or key in self.resources:
            return
        ref = {"$ref": f"#/$defs/{key}"}
        props = properties(ref, self.defs)
        if shape.jsonapi:
            id_field = "id"
            attributes = properties(props.get("attributes"), self.defs)
            rels = frozenset(properties(props.get("relationships"), self.defs))
            kind = const_of(props.get("type"), self.defs)
            type_name = kind if isinstance(kind, str) else snake(key)
        else:
            found = next(
                (f for f in (plain_id_field(ref, self.defs, h) for h in [*hints, None]) if f),
                None,
            )
            if found is None:
                return
            id_field, attributes, rels, type_name = found, props, frozenset(), snake(key)
        id_schema = standalone(dict(props.get(id_field) or {}), self.defs)
        for flag in ("readOnly", "description"):
            id_schema.pop(flag, None)
        hidden = frozenset(
            name for name, sub in attributes.items() if deref(sub, self.defs).get("writeOnly")
        )
        self.resources[key] = Resource(
            key=key,
            type=type_name,
            jsonapi=shape.jsonapi,
            ref=ref,
            schema=directional(ref, self.defs, "response"),
            id_field=id_field,
            id_schema=id_schema,
            id_prefix=id_prefix(deref(id_schema, id_schema.get("$defs", {}))),
            attributes=attributes,
            relationships=rels,
            transitions=_find_transitions(attributes, self.defs),
            hidden=hidden,
        )

    def _item_params(self, shapes: Mapping[str, tuple[int, str, Shape]]) -> None:
        ops = self.table["operations"]
        for op_id, (_, _, shape) in shapes.items():
            spec = ops[op_id]
            names = path_params(spec["path"])
            if shape.kind == "one" and shape.key in self.resources and spec["path"].endswith("}"):
                if spec["method"] in ("GET", "PUT", "PATCH", "DELETE"):
                    self.resources[shape.key].params.add(names[-1])
            for response in spec["responses"].values():
                for link in (response.get("links") or {}).values():
                    self._link(link, shape)
            if shape.kind == "many" and shape.key in self.resources and not names:
                self.resources[shape.key].listed_top_level = True
        # a plain resource's id property may be named after its path parameter (`isbn`)
        for resource in self.resources.values():
            if not resource.jsonapi:
                for name in resource.params:
                    if name in resource.attributes:
                        resource.id_field = name
                        resource.id_schema = standalone(dict(resource.attributes[name]), self.defs)
                        resource.id_schema.pop("readOnly", None)
                        resource.id_prefix = id_prefix(
                            deref(resource.id_schema, resource.id_schema.get("$defs", {}))
                        )

    def _link(self, link: Mapping[str, Any], shape: Shape) -> None:
        if shape.kind != "one" or shape.key not in self.resources:
            return
        pointer = "$response.body#/" + "/".join((*shape.items_at, "id"))
        plain = f"$response.body#/{self.resources[shape.key].id_field}"
        for name, expression in (link.get("parameters") or {}).items():
            if expression in (pointer, plain):
                self.resources[shape.key].params.add(name)

    def resource_for_param(
        self, name: str, schema: Mapping[str, Any] | None = None
    ) -> Resource | None:
        """The resource whose instances the path parameter `name` identifies, if any."""
        for resource in self.resources.values():
            if name in resource.params:
                return resource
        if schema is not None:
            wanted = ref_name(schema)
            for resource in self.resources.values():
                id_prop = (
                    properties(resource.ref, self.defs).get("id")
                    if resource.jsonapi
                    else resource.attributes.get(resource.id_field)
                )
                if id_prop is None:
                    continue
                if wanted and ref_name(id_prop) == wanted:
                    return resource
                mine = _comparable(schema, self.defs)
                if not wanted and "pattern" in mine and _comparable(id_prop, self.defs) == mine:
                    return resource
        stem = name[:-3] if name.endswith("_id") else None
        if stem:
            for resource in self.resources.values():
                if resource.type == stem or snake(resource.key) == stem:
                    return resource
        return None

    # -- operations ---------------------------------------------------------------------------

    def _param_schema(self, spec: OperationSpec, name: str) -> Mapping[str, Any] | None:
        for p in spec["parameters"]:
            if p["location"] == "path" and p["name"] == name:
                return p["schema"]
        return None

    def _plan(self, spec: OperationSpec, status: int, media_type: str, shape: Shape) -> OpPlan:
        method, path = spec["method"], spec["path"]
        names = path_params(path)
        last_is_param = path.endswith("}")
        resource = self.resources.get(shape.key or "")
        plan = OpPlan("static", None, status, media_type, shape)
        if status == 0:
            return plan

        def param_resource(name: str) -> Resource | None:
            return self.resource_for_param(name, self._param_schema(spec, name))

        if method == "GET" and resource is not None:
            if shape.kind == "many":
                return OpPlan("list", resource, status, media_type, shape, None, tuple(names))
            if last_is_param:
                parents = tuple(names[:-1])
                return OpPlan("read", resource, status, media_type, shape, names[-1], parents)
            if names:
                return OpPlan("singleton", resource, status, media_type, shape, None, (names[-1],))
        elif method in ("PUT", "PATCH"):
            if last_is_param and (resource or param_resource(names[-1])) and shape.kind != "many":
                target = resource or param_resource(names[-1])
                return OpPlan(
                    "update", target, status, media_type, shape, names[-1], tuple(names[:-1])
                )
            if resource is not None and shape.kind == "one" and names:
                return OpPlan("singleton", resource, status, media_type, shape, None, (names[-1],))
        elif method == "DELETE" and last_is_param:
            target = resource if shape.kind == "one" else param_resource(names[-1])
            if target is not None:
                return OpPlan(
                    "delete", target, status, media_type, shape, names[-1], tuple(names[:-1])
                )
        elif method == "POST" and resource is not None and shape.kind == "one":
            segments = path.rstrip("/").split("/")
            if (
                not last_is_param
                and len(segments) >= 2
                and segments[-2].startswith("{")
                and param_resource(segments[-2][1:-1]) is resource
            ):
                return OpPlan(
                    "action", resource, status, media_type, shape, names[-1], tuple(names[:-1])
                )
            return OpPlan("create", resource, status, media_type, shape, None, tuple(names))
        return plan

    def _extensions(self) -> None:
        for op_id, spec in self.table["operations"].items():
            plan = self.plans[op_id]
            raw = spec["extensions"].get("x-mock-unique")
            if isinstance(raw, Mapping) and plan.resource is not None:
                rule = Unique(
                    tuple(raw.get("fields") or ()),
                    int(raw.get("status", 409)),
                    str(raw.get("code", "RESOURCE_CONFLICT")),
                    {str(k): tuple(v) for k, v in (raw.get("ignore") or {}).items()},
                )
                if rule not in plan.resource.unique:
                    plan.resource.unique.append(rule)

    def by_type(self, type_name: str) -> Resource | None:
        for resource in self.resources.values():
            if resource.type == type_name or resource.key == type_name:
                return resource
        return None

    def is_list(self, name: str) -> bool:
        return is_array(self.defs.get(name, {}), self.defs)
