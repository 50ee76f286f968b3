"""Mock rules as data: `x-mock-rules` and `x-mock-patch` on operations.

    x-mock-rules:
      - when: {/data/attributes/payment_method/card/number: '4000000000000002'}
        status: 402                  # the answer's status (a declared one)
        example: card_declined       # the named example answered for non-2xx statuses
        patch: {status: requires_payment_method}   # changes to the operation's resource
        related: {booking_id: {payment_status: failed}}  # changes to a record it points at
        events: [payment.failed]     # extra events published (and sent to webhooks)
        headers: {Retry-After: '10'} # headers of the answer (a 503's Retry-After)

`when` maps JSON pointers into the request body (or `/params/<name>` for parameters) to
values; all must match. Patch values may be templates: `$now`, `$now+P<n>D` (n days later:
a default expiry), `$caller`, `$param:<name>`,
`$body:<pointer>` (into the request body), `$record:<pointer>` (into the record before the
change), `$related:<attribute><pointer>` (into the stored record whose id that attribute
holds: `$related:practitioner_id/attributes/price`); a template that finds nothing drops
its key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kkcore.errors import SpecError

MISSING = object()
_DAYS_LATER = re.compile(r"\$now\+P(\d{1,5})D")  # ISO 8601 days; 5 digits keep it in range


def at_pointer(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


@dataclass(frozen=True)
class Rule:
    when: Mapping[str, Any]
    status: int
    example: str | None = None
    patch: Mapping[str, Any] = field(default_factory=dict)
    related: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. a 503's Retry-After

    @property
    def succeeds(self) -> bool:
        return 200 <= self.status < 300

    def matches(self, params: Mapping[str, Any], body: Any) -> bool:
        for pointer, wanted in self.when.items():
            if pointer.startswith("/params/"):
                have = params.get(pointer[len("/params/") :], MISSING)
            else:
                have = at_pointer(body, pointer)
            if have is MISSING or not _equal(have, wanted):
                return False
        return True


def _equal(have: Any, wanted: Any) -> bool:
    if isinstance(have, bool) != isinstance(wanted, bool):
        return False
    return bool(have == wanted) or str(have) == str(wanted)


def parse_rules(op_id: str, raw: Any, declared: set[str]) -> list[Rule]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SpecError(f"{op_id}: x-mock-rules must be a list")
    rules = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("when"), Mapping):
            raise SpecError(f"{op_id}: x-mock-rules[{i}] needs a `when` object")
        status = str(entry.get("status", ""))
        if status not in declared:
            raise SpecError(
                f"{op_id}: x-mock-rules[{i}] answers {status or 'no status'}, "
                f"which the operation does not declare ({', '.join(sorted(declared))})"
            )
        rules.append(
            Rule(
                when=dict(entry["when"]),
                status=int(status),
                example=entry.get("example"),
                patch=dict(entry.get("patch") or {}),
                related={str(k): dict(v) for k, v in (entry.get("related") or {}).items()},
                events=tuple(entry.get("events") or ()),
                headers={str(k): str(v) for k, v in (entry.get("headers") or {}).items()},
            )
        )
    return rules


def first_match(rules: list[Rule], params: Mapping[str, Any], body: Any) -> Rule | None:
    for rule in rules:
        if rule.matches(params, body):
            return rule
    return None


def _days_after(now: str, days: int) -> Any:
    try:
        moment = datetime.fromisoformat(now)
    except ValueError:  # a clock that is not ISO 8601: nothing to add to
        return MISSING
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(template: Any, context: Mapping[str, Any]) -> Any:
    """Fill `$now[+P<n>D]`, `$caller`, `$param:x`, `$body:/ptr`...; MISSING when unresolved."""
    if isinstance(template, Mapping):
        out = {}
        for key, value in template.items():
            filled = render(value, context)
            if filled is not MISSING:
                out[key] = filled
        return out
    if isinstance(template, list):
        return [v for v in (render(t, context) for t in template) if v is not MISSING]
    if not isinstance(template, str) or not template.startswith("$"):
        return template
    if template == "$now":
        return context["now"]
    later = _DAYS_LATER.fullmatch(template)
    if later:
        return _days_after(str(context["now"]), int(later[1]))
    if template == "$caller":
        return context.get("caller") or MISSING
    if template.startswith("$param:"):
        value = context["params"].get(template[len("$param:") :])
        return MISSING if value is None else value
    if template.startswith("$body:"):
        return at_pointer(context["body"], template[len("$body:") :])
    if template.startswith("$record:"):
        return at_pointer(context.get("record"), template[len("$record:") :])
    if template.startswith("$related:"):
        name, _, pointer = template[len("$related:") :].partition("/")
        found = context["related"](name)
        return MISSING if found is None else at_pointer(found, "/" + pointer)
    return template
