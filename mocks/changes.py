"""How the kind handlers change a stored record: state-machine moves, unique fields, merges,
and the write that saves it and publishes the event."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mocks.answers import problem_error
from mocks.lookups import Lookups
from mocks.operation import OpContext, Request
from mocks.records import deep_merge, json_copy
from mocks.resources import Resource, Transitions, Unique
from mocks.rules import Rule, render
from mocks.shapes import deref
from mocks.store import Record


class Changes(Lookups):
    """Checked changes to stored records (mixed into mocks.crud.Crud)."""

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

    def read_only(self, res: Resource) -> set[str]:
        return {n for n, s in res.attributes.items() if deref(s, self.catalog.defs).get("readOnly")}

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
