"""What each kind of operation does to the store (see mocks.resources for the kinds).

Every answer is built from stored records that were validated against the resource schema
when written; errors are JSON:API problems (or the spec's own error shape, see answers).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from kkcore.errors import NotFound, Problem
from kkcore.types import OperationSpec
from mocks.answers import SpecAnswers, problem_error
from mocks.listing import ListPlan, envelope, page_link, sort_records
from mocks.records import deep_merge, json_copy, replace_strings
from mocks.resources import OpPlan, Resource, Transitions, Unique
from mocks.rules import MISSING, Rule, render
from mocks.shapes import deref
from mocks.state import SandboxState
from mocks.store import Record
from server.bodies import UploadedFile
from server.ports import OperationRequest
from server.responses import Reply

Request = OperationRequest[Any, Any]


@dataclass
class OpContext:
    """One operation's plan and the data it needs per request, prepared at startup."""

    spec: OperationSpec
    plan: OpPlan
    answers: SpecAnswers
    rules: list[Rule] = field(default_factory=list)
    listing: ListPlan | None = None
    patch: Mapping[str, Any] | None = None
    creator: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    location: str | None = None
    query_names: tuple[str, ...] = ()
    base: Record | None = None
    role: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict)
    cache_version: int = -1

    @property
    def resource(self) -> Resource:
        res = self.plan.resource
        if res is None:
            raise NotFound(f"{self.spec['operation_id']} has no resource")
        return res


def split_body(res: Resource, body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(attributes, relationships) sent in a request body, JSON:API or plain or multipart."""
    if not isinstance(body, Mapping):
        return {}, {}
    if res.jsonapi and isinstance(body.get("data"), Mapping):
        data = body["data"]
        attributes = data.get("attributes")
        relationships = data.get("relationships")
        return (
            dict(attributes) if isinstance(attributes, Mapping) else {},
            dict(relationships) if isinstance(relationships, Mapping) else {},
        )
    out: dict[str, Any] = {}
    for key, value in body.items():
        if isinstance(value, UploadedFile):
            out.update(filename=value.filename, content_type=value.content_type, size=value.size)
        else:
            out[key] = value
    return out, {}


class CrudHooks(Protocol):
    """What the kind handlers call back into (MockEngine): events, webhook subscriptions and
    the sandbox's rules."""

    async def emit(
        self, res: Resource, record: Record, verb: str, moved: str | None, extra: tuple[str, ...]
    ) -> None: ...

    async def on_create(
        self, ctx: OpContext, res: Resource, record: Record, hidden: dict[str, Any], identity: Any
    ) -> dict[str, Any]: ...

    def list_owner(self, res: Resource | None, identity: Any) -> str | None: ...

    def rule_answer(self, ctx: OpContext, rule: Rule, request: Request) -> Reply: ...


class Crud:
    """The kind handlers of one engine."""

    def __init__(self, state: SandboxState, hooks: CrudHooks) -> None:
        self.hooks = hooks
        self.store = state.store
        self.records = state.records
        self.catalog = state.catalog
        self._singletons: dict[tuple[str, str, str], str] = {}
        self.kinds: dict[str, Callable[[OpContext, Request, Rule | None], Awaitable[Reply]]] = {
            "read": self.read,
            "list": self.list,
            "create": self.create,
            "update": self.update,
            "delete": self.delete,
            "action": self.action,
            "singleton": self.singleton,
        }

    def forget_indexes(self) -> None:
        self._singletons.clear()

    # -- helpers ------------------------------------------------------------------------------

    def context(self, request: Request, record: Record | None = None) -> dict[str, Any]:
        identity = request.identity
        return {
            "now": self.records.clock(),
            "caller": identity.subject if identity is not None else None,
            "params": request.params,
            "body": request.body,
            "record": record,
            "related": lambda name: self.related(record, name),
        }

    def related(self, record: Record | None, name: str) -> Record | None:
        """The stored record whose id `record`'s attribute `name` holds."""
        if record is None:
            return None
        attributes = record.get("attributes")
        value = (attributes if isinstance(attributes, dict) else record).get(name)
        hit = self.store.find(str(value)) if isinstance(value, str) else None
        return hit[1] if hit else None

    def existing(self, ctx: OpContext, request: Request) -> Record:
        res, param = ctx.resource, ctx.plan.id_param or ""
        rid = request.params.get(param)
        record = self.store.get(res.key, str(rid))
        if record is None:
            raise _not_found(res, rid, param)
        return record

    def check_parents(self, ctx: OpContext, request: Request) -> dict[str, Any]:
        parents = {p: request.params.get(p) for p in ctx.plan.parents}
        for param, value in parents.items():
            owner = self.catalog.resource_for_param(param)
            if owner is None or owner is ctx.plan.resource:
                continue
            if self.store.get(owner.key, str(value)) is None:
                raise _not_found(owner, value, param)
        return parents

    def pointer(self, res: Resource, name: str) -> str:
        return f"/data/attributes/{name}" if res.jsonapi else f"/{name}"

    def move(
        self, res: Resource, old: Record, changes: Mapping[str, Any], *, explicit: bool
    ) -> str | None:
        """Check a state-machine move; the new state when it changes, else None."""
        machine: Transitions | None = res.transitions
        if machine is None or machine.field not in changes:
            return None
        before = self.records.attrs(res, old).get(machine.field)
        after = changes[machine.field]
        allowed = machine.check(before, after, same_is_move=explicit)
        if allowed is not None:
            raise problem_error(
                machine.status,
                machine.code,
                f"A {before} {res.type} cannot move to {after}",
                pointer=self.pointer(res, machine.field),
                meta={"from": before, "to": after, "allowed": list(allowed)},
            )
        return str(after) if after != before else None

    def check_unique(self, res: Resource, record: Record, rid: str) -> None:
        attrs = self.records.attrs(res, record)
        for n, rule in enumerate(res.unique):
            values = tuple(attrs.get(f) for f in rule.fields)
            if any(v is None for v in values):
                continue
            key_of = functools.partial(self.unique_key, res, rule)
            index = self.store.index(res.key, ("unique", n), key_of)
            if any(other != rid for other in index.holders(values)):
                taken = ", ".join(f"{f} {v}" for f, v in zip(rule.fields, values, strict=True))
                raise problem_error(
                    rule.status,
                    rule.code,
                    f"Another {res.type} already has {taken}",
                    pointer=self.pointer(res, rule.fields[-1]),
                    meta=dict(zip(rule.fields, values, strict=True)),
                )

    def unique_key(self, res: Resource, rule: Unique, record: Record) -> tuple[Any, ...] | None:
        """What a stored record holds of a unique rule; None when the rule ignores it."""
        theirs = self.records.attrs(res, record)
        if any(theirs.get(f) in skip for f, skip in rule.ignore.items()):
            return None
        return tuple(theirs.get(f) for f in rule.fields)

    def changed(
        self, res: Resource, old: Record, changes: Mapping[str, Any], merge: bool
    ) -> Record:
        new: Record = json_copy(old)
        attrs = self.records.attrs(res, new)
        merged = deep_merge(attrs, changes) if merge else {**attrs, **changes}
        attrs.clear()
        attrs.update(merged)
        return new

    async def write(
        self,
        res: Resource,
        rid: str,
        record: Record,
        meta: dict[str, Any],
        *,
        verb: str,
        moved: str | None = None,
        events: tuple[str, ...] = (),
    ) -> None:
        self.store.put(res.key, rid, record, meta)
        await self.store.save()
        await self.hooks.emit(res, record, verb, moved, events)

    async def apply_rule_patches(
        self, ctx: OpContext, request: Request, rule: Rule, record: Record
    ) -> Record:
        """A rule's `patch` on the operation's record and `related` on records it names."""
        res = ctx.resource
        rid = self.records.rid(res, record)
        context = self.context(request, record)
        changes = self.records.declared(res, render(rule.patch, context))
        moved = self.move(res, record, changes, explicit=True)
        new = self.changed(res, record, changes, merge=True)
        self.records.stamp(res, new, created=False)
        new = self.records.complete(res, new, f"patch:{res.key}:{rid}")
        for name, patch in rule.related.items():
            target = self.records.attrs(res, new).get(name)
            hit = self.store.find(str(target)) if target is not None else None
            other = self.catalog.resources.get(hit[0]) if hit else None
            if hit is None or other is None:
                continue
            more = self.records.declared(other, render(patch, context))
            other_moved = self.move(other, hit[1], more, explicit=False)
            updated = self.changed(other, hit[1], more, merge=True)
            self.records.stamp(other, updated, created=False)
            await self.write(
                other,
                str(target),
                updated,
                dict(self.store.meta_of(other.key, str(target))),
                verb="updated",
                moved=other_moved,
            )
        await self.write(
            res,
            rid,
            new,
            dict(self.store.meta_of(res.key, rid)),
            verb="updated",
            moved=moved,
            events=rule.events,
        )
        return new

    # -- kinds --------------------------------------------------------------------------------

    async def read(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        record = self.existing(ctx, request)
        return Reply(
            ctx.plan.status, self.records.document(ctx.plan, record), media_type=ctx.plan.media_type
        )

    async def list(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        lplan = ctx.listing
        res = ctx.resource
        if lplan is None:
            raise NotFound("no list plan")
        params = request.params
        owner = self.hooks.list_owner(res, request.identity)
        key = tuple(sorted((k, str(params.get(k))) for k in (*ctx.query_names, *ctx.plan.parents)))
        key += (("", str(owner)),)
        if ctx.cache_version == self.store.version and key in ctx.cache:
            cached = ctx.cache[key]
            if not isinstance(cached, bytes):  # serialized on its first repeat
                cached = ctx.cache[key] = orjson.dumps(cached)
            return Reply(ctx.plan.status, cached, media_type=ctx.plan.media_type)
        self.check_parents(ctx, request)
        items = self.store.ordered(res.key)
        for param in ctx.plan.parents:
            value = params.get(param)
            items = [r for r in items if self.records.belongs_to(res, r, param, value)]
        if owner is not None:  # only the caller's own (webhook subscriptions)
            meta_of, rid = self.store.meta_of, self.records.rid
            items = [r for r in items if meta_of(res.key, rid(res, r)).get("creator") == owner]
        attrs_of = self.records.attrs
        for name, prepare in lplan.filters.items():
            wanted = params.get(name)
            if wanted is not None:
                test = prepare(wanted)
                items = [r for r in items if test(attrs_of(res, r))]
        if lplan.sort_param:
            items = sort_records(
                res, items, lambda r: self.records.attrs(res, r), params.get(lplan.sort_param)
            )
        offset, size = lplan.window(params)
        page = items[offset : offset + size] if size is not None else items[offset:]
        query = {k: params.get(k) for k in ctx.query_names}
        link = page_link(request_path(ctx.spec, params), query, lplan)
        document = envelope(
            ctx.plan, lplan, self.catalog.defs, page, len(items), offset, size, link
        )
        if ctx.cache_version != self.store.version:
            ctx.cache.clear()
            ctx.cache_version = self.store.version
        if len(ctx.cache) < 256:
            ctx.cache[key] = document
        return Reply(ctx.plan.status, document, media_type=ctx.plan.media_type)

    async def create(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        res = ctx.resource
        parents = self.check_parents(ctx, request)
        attrs_in, rels_in = split_body(res, request.body)
        identity = request.identity
        async with self.store.lock():
            given = attrs_in.get(res.id_field) if not res.jsonapi else None
            if given is not None and self.store.get(res.key, str(given)) is not None:
                raise problem_error(
                    409,
                    "RESOURCE_CONFLICT",
                    f"A {res.type} with {res.id_field} {given} already exists",
                    pointer=self.pointer(res, res.id_field),
                )
            rid = given if given is not None else self.records.new_id(res)
            record = self.compose(ctx, res, rid, attrs_in, rels_in, parents, request)
            if rule is not None and rule.patch:
                changes = self.records.declared(res, render(rule.patch, self.context(request)))
                record = self.changed(res, record, changes, merge=True)
            record = self.records.complete(res, record, f"create:{res.key}:{rid}")
            self.check_unique(res, record, str(rid))
            meta: dict[str, Any] = {"parents": parents}
            if identity is not None:
                meta["creator"] = identity.subject
            hidden = {
                k: v for k, v in attrs_in.items() if k in res.hidden or k not in res.attributes
            }
            extra_meta = await self.hooks.on_create(ctx, res, record, hidden, identity)
            if hidden:
                meta["hidden"] = hidden
            await self.write(
                res, str(rid), record, meta, verb="created", events=rule.events if rule else ()
            )
        headers = {}
        if ctx.location:
            headers["Location"] = ctx.location.replace("{id}", str(rid))
        body = self.records.document(ctx.plan, record)
        if extra_meta and isinstance(body, dict):
            body = {**body, "meta": {**body.get("meta", {}), **extra_meta}}
        return Reply(ctx.plan.status, body, headers, ctx.plan.media_type)

    def compose(
        self,
        ctx: OpContext,
        res: Resource,
        rid: Any,
        attrs_in: Mapping[str, Any],
        rels_in: Mapping[str, Any],
        parents: Mapping[str, Any],
        request: Request,
    ) -> Record:
        """A new record: the create example as a base (its id swapped for the new one), the
        request's values over it, the path parents and the creator linked in."""
        base = ctx.base if ctx.base is not None else {}
        old_id = base.get(res.id_field)
        base = (
            replace_strings(base, old_id, str(rid)) if isinstance(old_id, str) else json_copy(base)
        )
        record: Record
        if res.jsonapi:
            attrs = self.records.declared(res, base.get("attributes") or {})
            rels = {
                k: v for k, v in (base.get("relationships") or {}).items() if k in res.relationships
            }
            rels.update({k: v for k, v in rels_in.items() if k in res.relationships})
            record = {"id": rid, "type": res.type, "attributes": attrs}
            if rels:
                record["relationships"] = rels
        else:
            record = self.records.declared(res, base)
        attrs = self.records.attrs(res, record)
        attrs.update(self.records.declared(res, attrs_in))
        if not res.jsonapi:
            attrs[res.id_field] = rid
        self.records.link_parents(res, record, parents)
        identity = request.identity
        caller = identity.subject if identity is not None else None
        for name in ctx.creator if caller is not None else ():
            if name in res.attributes and name not in attrs_in:
                attrs[name] = caller
            elif res.jsonapi and name in res.relationships and name not in rels_in:
                kind = self.catalog.resource_for_param(f"{name}_id")
                rels = record.setdefault("relationships", {})
                rels[name] = {"data": {"id": caller, "type": kind.type if kind else name}}
        if ctx.defaults:
            context = self.context(request, record)
            for name, template in ctx.defaults.items():
                value = render(template, context)
                if name not in attrs_in and value is not MISSING and name in res.attributes:
                    attrs[name] = value
        self.records.stamp(res, record, created=True)
        self.records.sync_relationships(res, record)
        return record

    async def update(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        res = ctx.resource
        attrs_in, rels_in = split_body(res, request.body)
        async with self.store.lock():
            old = self.existing(ctx, request)
            rid = self.records.rid(res, old)
            changes = self.records.declared(res, attrs_in)
            moved = self.move(res, old, changes, explicit=False)
            if res.jsonapi or ctx.spec["method"] == "PATCH":
                new = self.changed(res, old, changes, merge=True)
            else:
                kept = {k: v for k, v in old.items() if k in self.read_only(res)}
                new = {**changes, **kept, res.id_field: old[res.id_field]}
            if rels_in and res.jsonapi:
                rels = new.setdefault("relationships", {})
                rels.update({k: v for k, v in rels_in.items() if k in res.relationships})
            if rule is not None and rule.patch:
                patch = self.records.declared(res, render(rule.patch, self.context(request)))
                new = self.changed(res, new, patch, merge=True)
            self.records.stamp(res, new, created=False)
            self.records.sync_relationships(res, new)
            new = self.records.complete(res, new, f"update:{res.key}:{rid}")
            self.check_unique(res, new, rid)
            meta = dict(self.store.meta_of(res.key, rid))
            hidden = {k: v for k, v in attrs_in.items() if k in res.hidden}
            if hidden:
                meta["hidden"] = {**meta.get("hidden", {}), **hidden}
            await self.write(
                res, rid, new, meta, verb="updated", moved=moved, events=rule.events if rule else ()
            )
        if ctx.plan.shape.kind != "one":
            return Reply(ctx.plan.status)
        return Reply(
            ctx.plan.status, self.records.document(ctx.plan, new), media_type=ctx.plan.media_type
        )

    def read_only(self, res: Resource) -> set[str]:
        return {n for n, s in res.attributes.items() if deref(s, self.catalog.defs).get("readOnly")}

    async def delete(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        res = ctx.resource
        async with self.store.lock():
            old = self.existing(ctx, request)
            rid = self.records.rid(res, old)
            if ctx.patch is not None:
                context = self.context(request, old)
                changes = self.records.declared(res, render(ctx.patch, context))
                moved = self.move(res, old, changes, explicit=True)
                new = self.changed(res, old, changes, merge=True)
                self.records.stamp(res, new, created=False)
                new = self.records.complete(res, new, f"delete:{res.key}:{rid}")
                meta = dict(self.store.meta_of(res.key, rid))
                await self.write(res, rid, new, meta, verb="updated", moved=moved)
            else:
                new = old
                self.store.remove(res.key, rid)
                await self.store.save()
                await self.hooks.emit(res, old, "deleted", None, ())
        if ctx.plan.shape.kind != "one":
            return Reply(ctx.plan.status if ctx.plan.status else 204)
        return Reply(
            ctx.plan.status, self.records.document(ctx.plan, new), media_type=ctx.plan.media_type
        )

    async def action(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        record = self.existing(ctx, request)
        if rule is not None:
            async with self.store.lock():
                record = self.existing(ctx, request)
                record = await self.apply_rule_patches(ctx, request, rule, record)
            if not rule.succeeds:
                return self.hooks.rule_answer(ctx, rule, request)
        status = rule.status if rule is not None else ctx.plan.status
        return Reply(
            status, self.records.document(ctx.plan, record), media_type=ctx.plan.media_type
        )

    async def singleton(self, ctx: OpContext, request: Request, rule: Rule | None) -> Reply:
        res = ctx.resource
        param = ctx.plan.parents[0]
        value = str(request.params.get(param))
        self.check_parents(ctx, request)
        async with self.store.lock():
            record = self.singleton_record(res, param, value)
            rid = self.records.rid(res, record)
            if ctx.spec["method"] in ("PUT", "PATCH"):
                attrs_in, _ = split_body(res, request.body)
                changes = self.records.declared(res, attrs_in)
                moved = self.move(res, record, changes, explicit=False)
                record = self.changed(res, record, changes, merge=True)
                self.records.stamp(res, record, created=False)
                record = self.records.complete(res, record, f"update:{res.key}:{rid}")
                meta = dict(self.store.meta_of(res.key, rid))
                await self.write(res, rid, record, meta, verb="updated", moved=moved)
        return Reply(
            ctx.plan.status, self.records.document(ctx.plan, record), media_type=ctx.plan.media_type
        )

    def singleton_id(self, res: Resource, param: str, value: str) -> str | None:
        key = (res.key, param, value)
        found = self._singletons.get(key)
        if found is not None and self.store.get(res.key, found) is not None:
            return found
        for record in self.store.ordered(res.key):
            rid = self.records.rid(res, record)
            if (self.store.meta_of(res.key, rid).get("parents") or {}).get(param) == value:
                self._singletons[key] = rid
                return rid
        return None

    def singleton_record(self, res: Resource, param: str, value: str) -> Record:
        """The one `res` of a parent; a parent that has none yet gets one, generated (the
        same for the same parent and seed), linked to it and stored."""
        rid = self.singleton_id(res, param, value)
        record = self.store.get(res.key, rid) if rid else None
        if record is not None:
            return record
        record = self.records.generated(res, f"singleton:{res.key}:{param}={value}")
        rid = self.linked_id(res, param, value) or self.records.make_id(res, f"{param}={value}")
        record[res.id_field] = rid
        self.records.link_parents(res, record, {param: value})
        record = self.records.complete(res, record, f"singleton:{res.key}:{param}={value}")
        self.store.put(res.key, str(rid), record, {"parents": {param: value}, "seq": 0})
        self.store.save_now()
        self._singletons[(res.key, param, value)] = str(rid)
        return record

    def linked_id(self, res: Resource, param: str, value: str) -> str | None:
        """The id the parent already points at (`relationships.availability`), if any."""
        owner = self.catalog.resource_for_param(param)
        parent = self.store.get(owner.key, value) if owner else None
        rels = parent.get("relationships") if isinstance(parent, dict) else None
        rel = rels.get(res.type) if isinstance(rels, dict) else None
        data = rel.get("data") if isinstance(rel, dict) else None
        rid = data.get("id") if isinstance(data, dict) else None
        fits = res.id_prefix is None or (isinstance(rid, str) and rid.startswith(res.id_prefix))
        if isinstance(rid, str) and fits and self.store.get(res.key, rid) is None:
            return rid
        return None


def _not_found(res: Resource, value: Any, param: str) -> NotFound:
    return NotFound(problems=[Problem(f"No {res.type} with id {value} exists", parameter=param)])


def request_path(spec: OperationSpec, params: Mapping[str, Any]) -> str:
    path = spec["path"]
    for name, value in params.items():
        path = path.replace("{" + name + "}", str(value))
    return path
