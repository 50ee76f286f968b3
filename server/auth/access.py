"""Object-level authorization (OWASP API1), driven by the spec's `x-owner` on operations.

Every operation that acts on someone's data says whose it is; handlers and mocks alike pass
these two pipeline steps, so no handler re-implements the rule:

    x-owner:
      user: user_id            # this path parameter names the owning user ...
      share: health_records    # ... unless an unexpired share of this kind names the caller
      resource: booking        # or: the resource whose id is in parameter `id` ...
      id: booking_id
      fields:                  # JSON pointers into a 2xx answer that name its owners
        - /data/attributes/user_id
        - /data/attributes/practitioner_id
      bypass: [admin:users, admin:platform]   # scopes that may act on anyone's data

- `user`: the caller's subject (or an id in a token claim the document's `x-acts-as` names,
  the flagship's `practitioner_id`) must equal the parameter; otherwise 403
  INSUFFICIENT_PERMISSIONS (the URL already names the user).
- `share`: with `user`, a caller may also read when the OwnershipSource reports a share of
  that kind from the user to the caller that has not expired (the expiry is compared here).
- `resource` + `id`: before dispatch, the OwnershipSource names the resource's owners; a
  caller who is not one gets 404 RESOURCE_NOT_FOUND (not confirming that it exists).
- `fields`: after dispatch, the answer itself must name the caller, else 404. This is what
  checks reads when no OwnershipSource knows the resource (the mocks' static answers).

The OwnershipSource is provided by whoever holds the data (the mock store, the handlers'
database); see `OwnershipSource`. A source may also offer `now()` (its clock, against which
share expiry is compared; default the system clock) and `denied(op_id, actor, params,
request_id)` (told of every denial before it is answered, e.g. to audit it). An operation
answered by a handler whose `x-owner` names a `resource` that no source declares stops the
server at startup.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from kkcore.errors import InsufficientPermissions, NotFound, SpecError, StartupError
from server.identity import callers

if TYPE_CHECKING:
    from server.config import Runtime
    from server.ports import Call, Operation, OwnershipSource, Step

log = logging.getLogger("kk.auth")


@dataclass(frozen=True, slots=True)
class OwnerRule:
    """One operation's parsed `x-owner`."""

    user: str | None = None
    share: str | None = None
    resource: str | None = None
    id: str | None = None
    fields: tuple[str, ...] = ()
    bypass: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, op_id: str, raw: Any) -> OwnerRule:
        if not isinstance(raw, Mapping):
            raise SpecError(f"{op_id}: x-owner must be an object")
        unknown = set(raw) - {"user", "share", "resource", "id", "fields", "bypass"}
        if unknown:
            raise SpecError(f"{op_id}: x-owner has unknown keys {sorted(unknown)}")
        rule = cls(
            user=raw.get("user"),
            share=raw.get("share"),
            resource=raw.get("resource"),
            id=raw.get("id"),
            fields=tuple(raw.get("fields") or ()),
            bypass=frozenset(raw.get("bypass") or ()),
        )
        if rule.share and not rule.user:
            raise SpecError(f"{op_id}: x-owner share needs user")
        if bool(rule.resource) != bool(rule.id):
            raise SpecError(f"{op_id}: x-owner resource and id go together")
        if not (rule.user or rule.resource or rule.fields):
            raise SpecError(f"{op_id}: x-owner needs user, resource or fields")
        if any(not f.startswith("/") for f in rule.fields):
            raise SpecError(f"{op_id}: x-owner fields are JSON pointers (/data/...)")
        return rule


def rule_of(op: Operation) -> OwnerRule | None:
    raw = op.spec["extensions"].get("x-owner")
    return None if raw is None else OwnerRule.parse(op.spec["operation_id"], raw)


def owner(op: Operation, runtime: Runtime) -> Step | None:
    """Before dispatch: the `user` parameter or the `resource`'s owners must include the caller."""
    rule = rule_of(op)
    if rule is None or runtime.authenticator is None or not (rule.user or rule.resource):
        return None
    source = runtime.ownership
    knows = source is not None and rule.resource in source.resources
    if rule.resource and not knows:
        if op.source not in ("mock", "501"):
            raise StartupError(
                f"{op.spec['operation_id']}: x-owner names resource {rule.resource!r} but no "
                f"OwnershipSource declares it (handler at {op.source})"
            )
        log.info("%s: %s owners checked on the answer only", op.spec["operation_id"], rule.resource)
    if not rule.user and not knows:
        return None
    op_id = op.spec["operation_id"]
    acts_as = tuple(runtime.table.get("acts_as") or ())

    async def step(call: Call) -> None:
        identity = call.identity
        if identity is None or not identity.scopes.isdisjoint(rule.bypass):
            return
        me = callers(identity, acts_as)
        if rule.user:
            user = call.params.get(rule.user)
            if user in me or await _shared(source, rule, str(user), me):
                return
            await _denied(source, op_id, call)
            raise InsufficientPermissions(
                f"{op_id} acts on another user's data; that needs one of: "
                + ", ".join(sorted(rule.bypass))
            )
        if knows and source is not None and rule.resource and rule.id:
            resource_id = str(call.params.get(rule.id))
            owners = await source.owners(rule.resource, resource_id)
            if owners is not None and owners.isdisjoint(me):
                await _denied(source, op_id, call)
                raise NotFound(f"No {rule.resource} {resource_id}")

    return step


async def _shared(
    source: OwnershipSource | None, rule: OwnerRule, owner_id: str, me: frozenset[str]
) -> bool:
    if source is None or not rule.share:
        return False
    expires = await source.share_expiry(owner_id, me, rule.share)
    clock = getattr(source, "now", None)  # optional: a source with its own clock (sandbox `now`)
    return expires is not None and expires > (clock() if callable(clock) else datetime.now(UTC))


async def _denied(source: OwnershipSource | None, op_id: str, call: Call) -> None:
    """Tell a source that records denials (optional `denied` method, e.g. an audit log)."""
    record = getattr(source, "denied", None)
    if callable(record):
        actor = call.identity.subject if call.identity is not None else None
        await record(op_id, actor, call.params, call.request_id)


def owner_of_reply(op: Operation, runtime: Runtime) -> Step | None:
    """After dispatch: a 2xx answer must name the caller in one of the `fields`."""
    rule = rule_of(op)
    if rule is None or not rule.fields or runtime.authenticator is None:
        return None
    pointers = [f.split("/")[1:] for f in rule.fields]
    what = rule.resource or "resource"
    id_param = rule.id
    acts_as = tuple(runtime.table.get("acts_as") or ())

    async def step(call: Call) -> None:
        identity, reply = call.identity, call.reply
        if identity is None or reply is None or not 200 <= reply.status < 300:
            return
        if not identity.scopes.isdisjoint(rule.bypass):
            return
        body = reply.body
        if isinstance(body, bytes | str):
            try:
                body = orjson.loads(body)
            except orjson.JSONDecodeError:
                body = None
        named = {_at(body, p) for p in pointers}
        if named.isdisjoint(callers(identity, acts_as)):
            which = f" {call.params.get(id_param)}" if id_param else ""
            raise NotFound(f"No {what}{which}")

    return step


def _at(document: Any, parts: list[str]) -> Any:
    for part in parts:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(document, Mapping):
            return None
        document = document.get(part)
    return document if isinstance(document, str) else None
