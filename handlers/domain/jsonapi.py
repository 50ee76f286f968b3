"""JSON:API documents as the spec shapes them: resource objects, top-level meta, list pages
with offset pagination (ListMeta, PaginationLinks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

API_VERSION = "1.2.0"


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 UTC with a `Z` (what the spec's Timestamp examples show)."""
    if moment is None:
        return None
    text = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text.replace(".000000", "")


def parse_time(value: str) -> datetime:
    """An RFC 3339 date-time (validated by the spec already) as an aware UTC datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def ref(resource_type: str, resource_id: str | None) -> dict[str, Any]:
    """A to-one relationship: `{"data": {"id", "type"}}` (data null without an id)."""
    return {"data": {"id": resource_id, "type": resource_type} if resource_id else None}


def single(data: Any, request_id: str, now: datetime) -> dict[str, Any]:
    return {
        "data": data,
        "meta": {"request_id": request_id, "timestamp": iso(now), "version": API_VERSION},
    }


def page(
    items: Sequence[Any],
    total: int,
    *,
    limit: int,
    offset: int,
    path: str,
    query: Mapping[str, Any],
    request_id: str,
    now: datetime,
) -> dict[str, Any]:
    """A list document: `data`, ListMeta and PaginationLinks (`path` without the query)."""
    pages = (total + limit - 1) // limit

    def link(at: int) -> str:
        params = {k: v for k, v in query.items() if v is not None and k not in ("limit", "offset")}
        params.update(limit=limit, offset=at)
        return f"{path}?{urlencode({k: _text(v) for k, v in params.items()})}"

    last = max(pages - 1, 0) * limit
    return {
        "data": list(items),
        "meta": {
            "total_count": total,
            "page": offset // limit + 1,
            "per_page": limit,
            "total_pages": pages,
            "request_id": request_id,
            "timestamp": iso(now),
        },
        "links": {
            "self": link(offset),
            "first": link(0),
            "last": link(last),
            "prev": link(max(offset - limit, 0)) if offset > 0 else None,
            "next": link(offset + limit) if offset + limit < total else None,
        },
    }


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
