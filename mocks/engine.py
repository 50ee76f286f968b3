"""The mock engine: answers any operation of any spec, statefully, from its schemas and examples.

Per request: `Prefer` (delay, then code/example/dynamic answer straight from the spec), chaos
(`chaos` rate: a documented 500/503), `x-mock-rules`, then the operation's kind on the store
(see mocks.resources). Every store change publishes an event on the bus (WebSocket, GraphQL
subscriptions) and to registered webhooks.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request as HttpRequest
from starlette.responses import Response
from starlette.routing import Route

from kkcore.errors import ApiError, InternalError, ServiceUnavailable, SpecError
from kkcore.types import ApiTable, OperationSpec
from mocks.answers import SpecAnswers, error_class, parse_prefer, refresh_error_meta
from mocks.callbacks import CallbackFirer
from mocks.crud import Crud
from mocks.fake import FakeData
from mocks.graphql_store import StoreGraphQL
from mocks.listing import ListPlan
from mocks.operation import OpContext, Request
from mocks.ownership import StoreOwnership
from mocks.providers import default_registry
from mocks.records import Records, fixed_clock, json_copy, utc_now
from mocks.resources import Catalog, Resource
from mocks.rules import Rule, first_match, parse_rules
from mocks.seeding import SANDBOX_FILE, SandboxData, Seeder, add_vocabularies, seed_counts
from mocks.state import SandboxState
from mocks.store import LIMIT, Record, Store
from mocks.webhooks import WebhookDispatcher
from server.events import Event, EventBus
from server.ports import Handler
from server.responses import Reply
from server.webhook_audience import Audience
from server.webhooks import WebhookSettings

log = logging.getLogger("kk.mocks")
RESET_PATH = "/__sandbox/reset"
KINDS_WITH_STORE = frozenset({"read", "list", "create", "update", "delete", "action", "singleton"})


def documented(spec: OperationSpec, status: int) -> bool:
    """Whether the operation declares `status` (exactly, as `4XX`, or by a `default`)."""
    code = str(status)
    responses = spec["responses"]
    if not responses:
        return True
    return code in responses or f"{code[0]}XX" in responses or "default" in responses


def channel_of(event_type: str) -> str:
    """`booking.created` -> `bookings`, `payment.completed` -> `payments`."""
    return event_type.split(".", 1)[0] + "s"


class MockEngine:
    """Fallback for unbound operations: a stateful sandbox of any OpenAPI document.

    Options (AppConfig.options, `kk sandbox|mock` flags): `state` (file the store persists
    to), `chaos` (rate of injected 500/503), `seed_count` (generated records per seeded
    collection), `max_records` (created records kept per collection, 0: no bound; see
    mocks.store), `now` (a fixed clock for timestamps), `sandbox` (the sandbox file; default
    `sandbox.yaml` next to the spec), `webhook_transport`, `webhook_backoff` and
    `webhook_retry_base` (server.webhooks).
    """

    def __init__(
        self,
        table: ApiTable,
        *,
        seed: int = 0,
        bus: EventBus | None = None,
        spec_files: Mapping[str, Path] | None = None,
        state: str | None = None,
        chaos: float = 0.0,
        seed_count: int | None = None,
        now: str | None = None,
        sandbox: str | None = None,
        max_records: int = LIMIT,
        **options: Any,
    ) -> None:
        self.table = table
        self.seed = seed
        self.bus = bus
        self.options = options
        self.chaos = float(chaos or 0.0)
        self._chaos_rng = random.Random(seed)
        sandbox_path = Path(sandbox) if sandbox else None
        if sandbox_path is None and spec_files and "openapi" in spec_files:
            sandbox_path = Path(spec_files["openapi"]).with_name(SANDBOX_FILE)
        self.sandbox = SandboxData.load(sandbox_path)
        registry = default_registry()
        add_vocabularies(registry, self.sandbox.vocabularies)
        self.fake = FakeData(seed, providers=registry)
        self.catalog = Catalog(table)
        fingerprint = hashlib.sha256(
            f"{table['title']}|{table['version']}|{seed}|{seed_count}".encode()
        ).hexdigest()[:16]
        self.store = Store(Path(state) if state else None, fingerprint, max_records or None)
        self.records = Records(
            self.catalog, self.store, self.fake, fixed_clock(now) if now else utc_now
        )
        self.contexts: dict[str, OpContext] = {}
        self.reset_hooks: list[Any] = []
        self.roles = self._roles()
        # what the parts share; each gets it and only the callbacks it needs, not the engine
        shared = SandboxState(
            table, self.catalog, self.store, self.records, self.fake, bus, self.sandbox
        )
        self.crud = Crud(shared, self)
        hooks = self._role_config("subscriptions")
        self.webhooks = WebhookDispatcher(
            shared,
            WebhookSettings.from_options(hooks, options),
            Audience(table, hooks),
            {role: self.resource_of_role(role) for role in ("subscriptions", "deliveries")},
        )
        self.callbacks = CallbackFirer(table, self.fake, self.webhooks.settings)
        self._seed_store(seed_count)
        self.bind_graphql = StoreGraphQL(shared, self)
        self.ownership = StoreOwnership(shared)

    # -- startup ------------------------------------------------------------------------------

    def _roles(self) -> dict[str, str]:
        """`x-mock-webhook` roles: operation id -> subscriptions | deliveries | redeliver."""
        roles = {}
        for op_id, spec in self.table["operations"].items():
            raw = spec["extensions"].get("x-mock-webhook")
            role = raw.get("role") if isinstance(raw, Mapping) else raw
            if isinstance(role, str):
                if role not in ("subscriptions", "deliveries", "redeliver"):
                    raise SpecError(f"{op_id}: unknown x-mock-webhook role {role!r}")
                roles[op_id] = role
        return roles

    def _role_config(self, role: str) -> Mapping[str, Any]:
        for op_id, found in self.roles.items():
            raw = self.table["operations"][op_id]["extensions"].get("x-mock-webhook")
            if found == role and isinstance(raw, Mapping):
                return raw
        return {}

    def resource_of_role(self, role: str) -> Resource | None:
        for op_id, found in self.roles.items():
            if found == role:
                return self.catalog.plans[op_id].resource
        return None

    def _seed_store(self, seed_count: int | None) -> None:
        skip = frozenset(
            r.key
            for r in (self.resource_of_role("subscriptions"), self.resource_of_role("deliveries"))
            if r is not None
        )
        subscriptions = self.resource_of_role("subscriptions")
        inactive = frozenset({subscriptions.key} if subscriptions else ())
        seeder = Seeder(self.catalog, self.records, skip, inactive)
        seeder.examples()
        seeder.sandbox_records(self.sandbox)
        seeder.generated(seed_counts(self.catalog, self.sandbox, seed_count))
        self.store.seal_seed()
        if not self.store.restore_file():
            self.store.save_now()

    def context(self, spec: OperationSpec) -> OpContext:
        op_id = spec["operation_id"]
        found = self.contexts.get(op_id)
        if found is not None:
            return found
        plan = self.catalog.plans[op_id]
        declared = {c for c in spec["responses"] if c.isdigit()}
        ext = spec["extensions"]
        ctx = OpContext(
            spec=spec,
            plan=plan,
            answers=SpecAnswers(spec, self.table, self.fake),
            rules=parse_rules(op_id, ext.get("x-mock-rules"), declared),
            patch=ext.get("x-mock-patch") if isinstance(ext.get("x-mock-patch"), Mapping) else None,
            creator=tuple(ext.get("x-mock-creator") or ()),
            defaults=dict(ext.get("x-mock-defaults") or {}),
            query_names=tuple(p["name"] for p in spec["parameters"] if p["location"] == "query"),
            role=self.roles.get(op_id),
        )
        if plan.kind == "list" and plan.resource is not None:
            ctx.listing = ListPlan.build(spec, plan, self.catalog.defs)
        if plan.kind == "create" and plan.resource is not None:
            ctx.location = self._location(plan.resource)
            ctx.base = self._create_base(ctx)
        self.contexts[op_id] = ctx
        return ctx

    def _location(self, res: Resource) -> str | None:
        for op_id, plan in self.catalog.plans.items():
            if plan.kind == "read" and plan.resource is res and plan.id_param and not plan.parents:
                path = self.table["operations"][op_id]["path"]
                return path.replace("{" + plan.id_param + "}", "{id}")
        return None

    def _create_base(self, ctx: OpContext) -> Record | None:
        media = ctx.answers.media.get(ctx.plan.status)
        if media is None or not media.examples:
            return None
        node: Any = next(iter(media.examples.values()))
        for part in ctx.plan.shape.items_at:
            node = node.get(part) if isinstance(node, dict) else None
        return copy.deepcopy(node) if isinstance(node, dict) else None

    # -- serving ------------------------------------------------------------------------------

    def handler_for(self, spec: OperationSpec) -> Handler:
        """The mock of one operation (the server's Fallback protocol)."""
        ctx = self.context(spec)
        kind = self.crud.kinds.get(ctx.plan.kind) if ctx.plan.kind in KINDS_WITH_STORE else None
        if ctx.role == "redeliver":
            kind = self.webhooks.redeliver
        answers, rules, chaos = ctx.answers, ctx.rules, self._chaos_for(spec)
        fire = self.callbacks.fire if spec.get("callbacks") else None

        async def handler(request: Request) -> Reply:
            prefer = parse_prefer(request.headers.get("prefer"))
            if prefer.delay_ms:
                await asyncio.sleep(prefer.delay_ms / 1000)
            if prefer.forces:
                size = self._size(ctx, request)
                return answers.forced(
                    prefer, request.params, request.body, size, request.request_id
                )
            if chaos:
                self._maybe_fail(chaos)
            try:
                reply = await answer(request)
            except ApiError as e:
                if documented(spec, e.status):
                    raise
                reply = answers.static()  # what the store would say is not the spec's to say
            if not documented(spec, reply.status) or not answers.fits(reply):
                reply = answers.static()
            if fire is not None:
                fire(spec, request, reply)
            return reply

        async def answer(request: Request) -> Reply:
            rule = first_match(rules, request.params, request.body) if rules else None
            if kind is None:
                if rule is not None:
                    return self.rule_answer(ctx, rule, request)
                return answers.static()
            if rule is not None and not rule.succeeds and ctx.plan.kind != "action":
                return self.rule_answer(ctx, rule, request)
            return await kind(ctx, request, rule)

        return handler

    def error_answer(
        self, spec: OperationSpec, key: str, status: int, error: ApiError, request_id: str
    ) -> Reply | None:
        """A body for an operation's documented error response (server.documented)."""
        return self.context(spec).answers.error_body(key, status, error, request_id)

    def _size(self, ctx: OpContext, request: Request) -> int | None:
        lplan = ctx.listing
        if lplan is None or lplan.size_param is None:
            return None
        value = request.params.get(lplan.size_param)
        return value if isinstance(value, int) else lplan.default_size

    def _chaos_for(self, spec: OperationSpec) -> tuple[int, ...]:
        if self.chaos <= 0:
            return ()
        return tuple(c for c in (503, 500) if str(c) in spec["responses"])

    def _maybe_fail(self, statuses: tuple[int, ...]) -> None:
        if self._chaos_rng.random() >= self.chaos:
            return
        status = statuses[self._chaos_rng.randrange(len(statuses))]
        if status == 503:
            raise ServiceUnavailable(
                "Chaos: the sandbox is simulating an outage; retry shortly",
                headers={"Retry-After": "1"},
            )
        raise InternalError("Chaos: the sandbox is simulating a server error")

    def rule_answer(self, ctx: OpContext, rule: Rule, request: Request) -> Reply:
        if rule.example is not None:
            media = ctx.answers.media.get(rule.status)
            if media is not None and rule.example in media.examples:
                value = refresh_error_meta(media.examples[rule.example], request.request_id)
                body = copy.deepcopy(value)
                return Reply(rule.status, body, dict(rule.headers), media_type=media.media_type)
        cls = error_class(rule.status, f"HTTP_{rule.status}")
        raise cls(f"The sandbox's rules answer {rule.status} to this request", headers=rule.headers)

    # -- events -------------------------------------------------------------------------------

    def event_data(self, res: Resource, record: Record) -> dict[str, Any]:
        if not res.jsonapi:
            return dict(json_copy(record))
        data = {
            "id": record.get("id"),
            "type": record.get("type"),
            "attributes": record.get("attributes", {}),
        }
        if record.get("relationships"):
            data["relationships"] = record["relationships"]
        return dict(json_copy(data))

    async def emit(
        self, res: Resource, record: Record, verb: str, moved: str | None, extra: tuple[str, ...]
    ) -> None:
        """Publish the events of one store change (and hand them to the webhooks)."""
        if res is self.resource_of_role("deliveries"):
            return
        types = [f"{res.type}.{verb}"]
        if moved:
            types.append(f"{res.type}.{moved}")
        types += [t for t in extra if t not in types]
        data = self.event_data(res, record)
        audience = tuple(sorted(self.records.owners(res, record)))
        for event_type in types:
            event = Event(event_type, channel_of(event_type), data, audience)
            if self.bus is not None:
                await self.bus.publish(event)
            self.webhooks.offer(event)
        if verb == "deleted" and res is self.resource_of_role("subscriptions"):
            self.webhooks.forget(self.records.rid(res, record))

    async def on_create(
        self,
        ctx: OpContext,
        res: Resource,
        record: Record,
        hidden: dict[str, Any],
        identity: Any = None,
    ) -> dict[str, Any]:
        """Role-specific extras of a create: a webhook subscription gets its owner's grant
        (403 for events the caller may not see) and its secret."""
        if ctx.role == "subscriptions":
            return self.webhooks.subscribe(hidden, identity, self.records.attrs(res, record))
        return {}

    def list_owner(self, res: Resource | None, identity: Any) -> str | None:
        """Whose records a list shows, None for everyone's: webhook subscriptions are their
        registrant's (all of them for the `bypass` scopes of `x-mock-webhook`)."""
        if identity is None or res is None or res is not self.resource_of_role("subscriptions"):
            return None
        if not identity.scopes.isdisjoint(self.webhooks.audience.bypass):
            return None
        return str(identity.subject)

    async def relay(self, identity: Any, frame: Mapping[str, Any]) -> tuple[str, ...]:
        """Who receives a relayed /ws frame (chat, typing, WebRTC signal): the people of the
        booking or conversation it names and the sender's other sessions; everyone when the
        store does not know what it names."""
        audience: set[str] = set()
        for key, value in frame.items():
            res = self.catalog.resource_for_param(key) if key.endswith("_id") else None
            record = self.store.get(res.key, str(value)) if res is not None else None
            if res is not None and record is not None:
                audience |= self.records.owners(res, record)
        if audience and getattr(identity, "subject", None):
            audience.add(identity.subject)
        return tuple(sorted(audience))

    # -- app integration ----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the seed (the store, its file, and the indexes over it)."""
        self.webhooks.forget_all()
        self.store.reset()
        self.store.save_now()
        self.crud.forget_indexes()

    async def reset_endpoint(self, request: HttpRequest) -> Response:
        async with self.store.lock():
            self.reset()
        for hook in self.reset_hooks:  # what the app's handlers hold (their database)
            result = hook()
            if hasattr(result, "__await__"):
                await result
        return Response(b'{"status":"reset"}', media_type="application/json")

    def extend(self, parts: Any) -> None:
        """Add the sandbox's routes and lifecycle hooks to an app being assembled."""
        parts.routes.append(Route(RESET_PATH, self.reset_endpoint, methods=["POST"]))
        self.reset_hooks = getattr(parts, "resets", [])
        parts.startup += [self.webhooks.open, self.callbacks.clients.open]
        parts.shutdown.append(self.webhooks.close)
        parts.shutdown.append(self.callbacks.close)
