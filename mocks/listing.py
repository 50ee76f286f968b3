"""List operations over the store: filters from query parameters, sorting, pages, envelopes.

A query parameter filters when it carries an `x-filter: {field, op}` hint (`field` is a
dotted path into the attributes; `op` is eq, gte, lte or contains; optional `unfiltered`,
values that mean "no filter", e.g. `[any]`), or when it is named after
an attribute (`status`), or after one with `_min`/`_max`/`_from`/`_to` (`rating_min`).
Pagination follows the parameter names (`limit`/`per_page`, `offset`, `page`); the envelope's
fields are filled by name (`total_count`, `per_page`, `total_pages`, `next`...).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from kkcore.types import OperationSpec
from mocks.resources import OpPlan, Resource
from mocks.shapes import (
    PAGE_LINKS,
    PAGE_NUMBER,
    PAGE_OFFSET,
    PAGE_PAGES,
    PAGE_SIZE,
    PAGE_TOTAL,
    deref,
    properties,
)

SORT_NAMES = ("sort", "order_by", "sort_by", "order")
RANGE_SUFFIXES = {"_min": "gte", "_max": "lte", "_from": "gte", "_to": "lte"}
DEFAULT_PAGE = 20

Predicate = Callable[[Any], Callable[[Mapping[str, Any]], bool]]


def _lookup(attrs: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = attrs
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _equals(want: Any) -> Callable[[Any], bool]:
    folded = want.lower() if isinstance(want, str) else None

    def same(have: Any) -> bool:
        if isinstance(have, Mapping):  # {kind: cat} matches cat
            return any(same(v) for v in have.values() if not isinstance(v, Mapping | list))
        if folded is not None and isinstance(have, str):
            return have.lower() == folded
        if folded is not None and isinstance(have, bool):  # a query's text: verified=true
            return folded == str(have).lower()
        return bool(have == want)

    return same


def _containing(want: Any) -> Callable[[Any], bool]:
    folded = want.lower() if isinstance(want, str) else None
    same = _equals(want)

    def contains(have: Any) -> bool:
        if isinstance(have, str):
            return folded in have.lower() if folded is not None else False
        if isinstance(have, list):
            for item in have:
                if contains(item):
                    return True
            return False
        return same(have)

    return contains


def _bounded(want: Any, op: str) -> Callable[[Any], bool]:
    day = isinstance(want, str) and len(want) == 10  # a date bounds a whole day

    def within(have: Any) -> bool:
        if isinstance(have, Mapping):  # money-like objects compare by their number
            have = next((v for v in have.values() if isinstance(v, int | float)), None)
        if have is None:
            return False
        if day and isinstance(have, str):
            have = have[:10]
        try:
            return bool(have >= want) if op == "gte" else bool(have <= want)
        except TypeError:
            return False

    return within


def predicate(
    path: tuple[str, ...], op: str, unfiltered: frozenset[Any] = frozenset()
) -> Predicate:
    """`(wanted value) -> (attributes -> matches)`, prepared once per request; a value of
    `unfiltered` (x-filter's, e.g. `verified=any`) matches everything."""
    make = _containing if op == "contains" else _equals

    def prepare(want: Any) -> Callable[[Mapping[str, Any]], bool]:
        if isinstance(want, str | int | bool) and want in unfiltered:
            return lambda attrs: True
        test = _bounded(want, op) if op in ("gte", "lte") else make(want)
        if len(path) == 1:
            name = path[0]
            return lambda attrs: (v := attrs.get(name)) is not None and test(v)
        return lambda attrs: (v := _lookup(attrs, path)) is not None and test(v)

    return prepare


@dataclass
class ListPlan:
    """How one list operation filters, sorts and pages, decided at startup."""

    filters: dict[str, Predicate]
    size_param: str | None
    offset_param: str | None
    page_param: str | None
    sort_param: str | None
    default_size: int
    max_items: int | None
    meta: list[tuple[str, str, Any]]

    @classmethod
    def build(cls, spec: OperationSpec, plan: OpPlan, defs: Mapping[str, Any]) -> ListPlan:
        res = plan.resource
        attributes = res.attributes if res is not None else {}
        filters: dict[str, Predicate] = {}
        size = offset = page = sort = None
        default_size = DEFAULT_PAGE
        for p in spec["parameters"]:
            if p["location"] != "query":
                continue
            name = p["name"]
            hint = p.get("filter")
            if isinstance(hint, Mapping) and "field" in hint:
                path = tuple(str(hint["field"]).split("."))
                everything = frozenset(hint.get("unfiltered") or ())
                filters[name] = predicate(path, str(hint.get("op", "eq")), everything)
            elif name in PAGE_SIZE and size is None:
                size = name
                default = deref(p["schema"], defs).get("default")
                default_size = default if isinstance(default, int) else DEFAULT_PAGE
            elif name in PAGE_OFFSET and offset is None:
                offset = name
            elif name in PAGE_NUMBER and page is None:
                page = name
            elif name in SORT_NAMES and sort is None:
                sort = name
            elif name in attributes:
                filters[name] = predicate((name,), "eq")
            else:
                for suffix, op in RANGE_SUFFIXES.items():
                    stem = name[: -len(suffix)]
                    if name.endswith(suffix) and stem in attributes:
                        filters[name] = predicate((stem,), op)
        array = (
            properties(plan.shape.envelope, defs).get(plan.shape.items_at[0], {})
            if (plan.shape.items_at)
            else plan.shape.envelope
        )
        max_items = deref(array, defs).get("maxItems") if array else None
        meta = meta_fields(plan, defs)
        return cls(filters, size, offset, page, sort, default_size, max_items, meta)

    def window(self, params: Mapping[str, Any]) -> tuple[int, int | None]:
        """(offset, size); size None = everything."""
        size: int | None = params.get(self.size_param) if self.size_param else None
        if size is None and (self.size_param or self.page_param or self.offset_param):
            size = self.default_size
        if self.max_items is not None:
            size = min(size, self.max_items) if size is not None else self.max_items
        offset = int(params.get(self.offset_param) or 0) if self.offset_param else 0
        if self.page_param and not self.offset_param and size:
            offset = (int(params.get(self.page_param) or 1) - 1) * size
        return offset, size


def sort_records(res: Resource, records: list[Any], attrs_of: Any, value: Any) -> list[Any]:
    if not isinstance(value, str) or not value:
        return records
    name, descending = value.lstrip("-"), value.startswith("-")
    explicit = descending
    for suffix, desc in (("_asc", False), ("_desc", True)):
        if name.endswith(suffix):
            name, descending, explicit = name[: -len(suffix)], desc, True
    field = next((n for n in (name, name + "_at", name + "s") if n in res.attributes), None)
    if field is None:
        return records

    def key(record: Any) -> Any:
        v = attrs_of(record).get(field)
        if isinstance(v, Mapping):
            v = next((x for x in v.values() if isinstance(x, int | float)), None)
        return v

    present = [r for r in records if key(r) is not None]
    missing = [r for r in records if key(r) is None]
    if not explicit:
        descending = bool(present) and isinstance(key(present[0]), int | float)
    try:
        present.sort(key=key, reverse=descending)
    except TypeError:
        return records
    return present + missing


def meta_fields(plan: OpPlan, defs: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, role, schema) of the pagination fields a list document declares: role is
    total, size, offset, page, pages or a link name. Computed once per operation."""
    shape = plan.shape
    if shape.meta_at is None:
        return []
    home = shape.envelope if not shape.meta_at else properties(shape.envelope, defs).get("meta")
    roles = {
        **dict.fromkeys(PAGE_TOTAL, "total"),
        **dict.fromkeys(PAGE_SIZE, "size"),
        **dict.fromkeys(PAGE_OFFSET, "offset"),
        **dict.fromkeys(PAGE_NUMBER, "page"),
        **dict.fromkeys(PAGE_PAGES, "pages"),
        **{name: name for name in PAGE_LINKS},
    }
    return [
        (name, roles[name], sub) for name, sub in properties(home, defs).items() if name in roles
    ]


def envelope(
    plan: OpPlan,
    lplan: ListPlan,
    defs: Mapping[str, Any],
    items: list[Any],
    total: int,
    offset: int,
    size: int | None,
    link: Callable[[int], str],
) -> Any:
    """The list document: items at their place, pagination fields filled by name."""
    shape = plan.shape
    if not shape.items_at:
        return items
    per_page = size if size else max(total, 1)
    pages = math.ceil(total / per_page) if per_page else 0
    values = {
        "total": total,
        "size": per_page,
        "offset": offset,
        "page": offset // per_page + 1,
        "pages": pages,
    }
    last_offset = max(0, (pages - 1) * per_page)
    links = {
        "self": link(offset),
        "first": link(0),
        "last": link(last_offset),
        "prev": link(max(0, offset - per_page)) if offset > 0 else None,
        "next": link(offset + per_page) if offset + per_page < total else None,
    }
    links["previous"] = links["prev"]
    doc: dict[str, Any] = {shape.items_at[0]: items}
    if shape.meta_at is not None:
        target = doc if not shape.meta_at else doc.setdefault(shape.meta_at[0], {})
        for name, role, sub in lplan.meta:
            if role in values:
                target[name] = values[role]
            elif _accepts_relative(sub, defs, links[role]):
                target[name] = links[role]
    if shape.links_at is not None:
        doc["links"] = {k: links[k] for k in ("self", "first", "last", "prev", "next")}
    return doc


def _accepts_relative(schema: Any, defs: Mapping[str, Any], value: Any) -> bool:
    node = deref(schema, defs)
    if value is None:
        kinds = node.get("type")
        return isinstance(kinds, list) and "null" in kinds
    return node.get("format") in (None, "uri-reference", "iri-reference")


def page_link(path: str, params: Mapping[str, Any], lplan: ListPlan) -> Callable[[int], str]:
    """Links to other pages: the same query with another offset (or page)."""
    paging = {lplan.size_param, lplan.offset_param, lplan.page_param}
    base = urlencode(
        {
            k: str(v).lower() if isinstance(v, bool) else v
            for k, v in params.items()
            if v is not None and k not in paging and not isinstance(v, list | dict)
        }
    )
    size_value = params.get(lplan.size_param) if lplan.size_param else None
    size = size_value or lplan.default_size
    head = f"{path}?{base}&" if base else f"{path}?"

    def link(offset: int) -> str:
        parts = []
        if lplan.size_param:
            parts.append(f"{lplan.size_param}={size}")
        if lplan.offset_param:
            parts.append(f"{lplan.offset_param}={offset}")
        elif lplan.page_param:
            parts.append(f"{lplan.page_param}={offset // size + 1}")
        return head + "&".join(parts) if parts else head.rstrip("?&")

    return link
