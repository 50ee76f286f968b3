"""Who receives which webhook event, decided when the event is delivered (spec-agnostic).

A webhook belongs to whoever registered it and carries that caller's grant: the ids it acts
as (its subject, and its practitioner id if it has one) and its scopes. An event goes to the
webhook only if that caller may read what the event is about:

- the grant holds one of the `bypass` scopes (`x-mock-webhook: {bypass: [...]}` on the
  operation that registers webhooks, e.g. `admin:platform`): every event;
- otherwise the grant holds every scope of the event's `x-required-scopes` (on the event's
  operation in the spec's top-level `webhooks`, e.g. `read:bookings`) and one of its ids is
  in the event's audience (the people the changed resource concerns: a booking's user and
  practitioner, a payment's payer...).

Registering a webhook for an event whose scopes the caller lacks is refused up front (403),
so a subscription never silently receives nothing. A grant of None (a webhook registered
where no authentication runs, `kk mock`) receives every event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kkcore.errors import InsufficientPermissions, Problem
from kkcore.types import ApiTable
from server.identity import Identity, callers


@dataclass(frozen=True)
class Grant:
    ids: frozenset[str]
    scopes: frozenset[str]
    everything: bool = False

    @classmethod
    def of(cls, identity: Identity, bypass: Iterable[str], acts_as: Iterable[str] = ()) -> Grant:
        ids = callers(identity, acts_as)
        return cls(ids, identity.scopes, not identity.scopes.isdisjoint(bypass))

    def as_json(self) -> dict[str, Any]:
        return {"ids": sorted(self.ids), "scopes": sorted(self.scopes), "all": self.everything}

    @classmethod
    def from_json(cls, raw: Any) -> Grant | None:
        if not isinstance(raw, Mapping):
            return None
        return cls(
            frozenset(str(i) for i in raw.get("ids") or ()),
            frozenset(str(s) for s in raw.get("scopes") or ()),
            bool(raw.get("all")),
        )


def subscriptions_config(table: ApiTable) -> Mapping[str, Any]:
    """The `x-mock-webhook` object of the operation that registers webhooks (or {})."""
    for op in table["operations"].values():
        raw = op["extensions"].get("x-mock-webhook")
        if isinstance(raw, Mapping) and raw.get("role") == "subscriptions":
            return raw
    return {}


class Audience:
    """The spec's rule: event types, their required scopes and the bypass scopes."""

    def __init__(self, table: ApiTable, config: Mapping[str, Any]) -> None:
        hooks: Mapping[str, Mapping[str, Any]] = table.get("webhooks") or {}
        self.hooks = hooks
        self.required = {t: frozenset(h.get("scopes") or ()) for t, h in hooks.items()}
        self.bypass = frozenset(str(s) for s in config.get("bypass") or ())
        self.acts_as = tuple(table.get("acts_as") or ())

    @classmethod
    def of_table(cls, table: ApiTable) -> Audience:
        return cls(table, subscriptions_config(table))

    def known(self, event_type: str) -> bool:
        """Only the spec's webhook event types are delivered (any, if it declares none)."""
        return not self.required or event_type in self.required

    def example(self, event_type: str) -> Any:
        examples = (self.hooks.get(event_type) or {}).get("examples") or {}
        return next(iter(examples.values()), None)

    def grant(self, identity: Identity) -> Grant:
        """What a subscription registered by `identity` may receive."""
        return Grant.of(identity, self.bypass, self.acts_as)

    def check(self, identity: Identity, events: Iterable[str]) -> None:
        """403 naming each event the caller may not receive (at registration)."""
        if not identity.scopes.isdisjoint(self.bypass):
            return
        problems = []
        for i, event in enumerate(events):
            missing = sorted(self.required.get(event, frozenset()) - identity.scopes)
            if missing:
                problems.append(
                    Problem(
                        f"{event} events need the scope {' '.join(missing)}",
                        pointer=f"/data/attributes/events/{i}",
                        meta={"required_scopes": missing},
                    )
                )
        if problems:
            raise InsufficientPermissions(problems=problems)

    def receives(self, grant: Grant | None, event_type: str, audience: Iterable[str]) -> bool:
        if grant is None or grant.everything:
            return True
        if not self.required.get(event_type, frozenset()) <= grant.scopes:
            return False
        return not grant.ids.isdisjoint(audience)
