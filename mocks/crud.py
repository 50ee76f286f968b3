"""What each kind of operation does to the store (see mocks.resources for the kinds).

The kinds are here; what they read (mocks.lookups), how they change and write records
(mocks.changes) and the singletons of a parent (mocks.singletons) are mixed in.

Every answer is built from stored records that were validated against the resource schema
when written; errors are JSON:API problems (or the spec's own error shape, see answers).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from kkcore.errors import NotFound
from mocks.answers import problem_error
from mocks.changes import Changes
from mocks.listing import envelope, page_link, sort_records
from mocks.operation import CrudHooks, OpContext, Request, request_path, split_body
from mocks.records import json_copy, replace_strings
from mocks.resources import Resource
from mocks.rules import MISSING, Rule, render
from mocks.singletons import Singletons
from mocks.state import SandboxState
from mocks.store import Record
from server.responses import Reply


class Crud(Changes, Singletons):
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
