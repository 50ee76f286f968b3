"""Deprecated operations announce it on every answer, from the spec alone:

- `deprecated: true` -> `Deprecation: @<unix seconds>` (RFC 9745), from `x-deprecated-at`
  (a date or date-time; without it `@0`: in effect, since an unknown date);
- `x-sunset` (a date or date-time) -> `Sunset: <HTTP-date>` (RFC 8594);
- `x-successor` (an operationId of the same spec, or a URI) ->
  `Link: <...>; rel="successor-version"` (RFC 5829);
- `x-deprecation-link` (a URI: the migration notes) -> `Link: <...>; rel="deprecation"`.

The headers are computed once at start-up; a date that does not parse is a startup error
naming the operation.
"""

from __future__ import annotations

import datetime as dt
from email.utils import format_datetime
from typing import Any

from kkcore.errors import SpecError
from kkcore.types import OperationSpec
from server.config import Runtime


def _moment(op: OperationSpec, key: str) -> dt.datetime | None:
    raw: Any = op["extensions"].get(key)
    if raw is None:
        return None
    try:
        if isinstance(raw, dt.datetime):
            moment = raw
        elif isinstance(raw, dt.date):
            moment = dt.datetime(raw.year, raw.month, raw.day)
        else:
            moment = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as e:
        raise SpecError(
            f"{op['operation_id']}: {key} must be a date or date-time (RFC 3339), not {raw!r}"
        ) from e
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def deprecation_headers(
    op: OperationSpec, operations: dict[str, OperationSpec]
) -> list[tuple[str, str]]:
    """The Deprecation, Sunset and Link headers of `op` ([] when it is not deprecated)."""
    if not op.get("deprecated"):
        return []
    since = _moment(op, "x-deprecated-at")
    headers = [("Deprecation", f"@{int(since.timestamp()) if since else 0}")]
    sunset = _moment(op, "x-sunset")
    if sunset is not None:
        headers.append(("Sunset", format_datetime(sunset.astimezone(dt.UTC), usegmt=True)))
    links = []
    successor = op["extensions"].get("x-successor")
    if successor:
        target = operations.get(str(successor))
        links.append(f'<{target["path"] if target else successor}>; rel="successor-version"')
    notes = op["extensions"].get("x-deprecation-link")
    if notes:
        links.append(f'<{notes}>; rel="deprecation"')
    if links:
        headers.append(("Link", ", ".join(links)))
    return headers


def describe(op: OperationSpec) -> str:
    """What `kk routes` shows: `deprecated`, with the sunset date and successor when known."""
    if not op.get("deprecated"):
        return ""
    sunset = _moment(op, "x-sunset")
    parts = ["deprecated"]
    if sunset is not None:
        parts.append(f"sunset {sunset.date().isoformat()}")
    if op["extensions"].get("x-successor"):
        parts.append(f"-> {op['extensions']['x-successor']}")
    return ", ".join(parts)


def deprecation(op: Any, runtime: Runtime) -> Any:
    """Pipeline step factory: adds the headers to every answer of a deprecated operation."""
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1"))
        for k, v in deprecation_headers(op.spec, runtime.table["operations"])
    ]
    if not headers:
        return None

    async def step(call: Any) -> None:
        call.extra.extend(headers)

    return step
