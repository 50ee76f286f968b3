"""Deprecation and sunset dates: removing a deprecated operation after its sunset is allowed.

The sunset date is the operation's `x-sunset` (as oasdiff reads it) or the documented value of
a `Sunset` response header (RFC 8594: an HTTP-date), in its `default`, `const` or `example`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from contracts.diff.findings import Finding
from contracts.diff.refs import Resolver, as_dict
from contracts.diff.rules import fixed


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError):
        return None


def sunset_of(op: dict[str, Any], resolver: Resolver) -> date | None:
    if "x-sunset" in op:
        return parse_date(op["x-sunset"])
    for response in as_dict(op.get("responses")).values():
        for name, header in as_dict(resolver.node(response).get("headers")).items():
            if str(name).lower() != "sunset":
                continue
            header = resolver.node(header)
            schema = resolver.node(header.get("schema"))
            for value in (
                schema.get("const"),
                schema.get("default"),
                schema.get("example"),
                header.get("example"),
            ):
                if (found := parse_date(value)) is not None:
                    return found
    return None


def removed(where: str, op: dict[str, Any], resolver: Resolver, today: date) -> Finding:
    if op.get("deprecated") is not True:
        return fixed("operation-removed", where, "operation removed without being deprecated first")
    sunset = sunset_of(op, resolver)
    if sunset is None:
        return fixed(
            "deprecated-operation-removed", where, "deprecated operation removed (no sunset date)"
        )
    if sunset <= today:
        return fixed(
            "operation-removed-after-sunset", where, f"removed after its sunset date {sunset}"
        )
    return fixed(
        "operation-removed-before-sunset", where, f"removed before its sunset date {sunset}"
    )


def deprecation(
    where: str, a: dict[str, Any], b: dict[str, Any], old: Resolver, new: Resolver
) -> Iterator[Finding]:
    was, now = a.get("deprecated") is True, b.get("deprecated") is True
    sa, sb = sunset_of(a, old), sunset_of(b, new)
    if now and not was:
        yield fixed("operation-deprecated", where, f"deprecated (sunset {sb or 'not given'})")
    elif was and not now:
        yield fixed("operation-reinstated", where, "no longer deprecated")
    elif now and sa and sb and sb < sa:
        yield fixed("sunset-brought-forward", where, f"sunset date {sa} -> {sb}")
