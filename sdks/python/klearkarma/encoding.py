"""Turn keyword arguments into an HTTP request, and an answer into what the caller gets.

The generated methods pass their arguments by Python name; the operation table says where
each one goes (path, query, header, JSON:API attribute, form field). Values are encoded the
way the API reads them: date-times as RFC 3339 in UTC, booleans in queries as true/false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx

from klearkarma.errors import KlearKarmaError, error_for
from klearkarma.types import FileInput, Omit, Operation


@dataclass
class RequestParts:
    method: str
    path: str
    params: list[tuple[str, str | int | float | bool | None]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    json: Any = None
    data: dict[str, str] | None = None
    files: dict[str, Any] | None = None


def to_json(value: Any) -> Any:
    """`value` with dates and date-times as strings, ready for JSON."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
        return text + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items() if not isinstance(v, Omit)}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def to_text(value: Any) -> str:
    value = to_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _file(value: FileInput) -> Any:
    # httpx names a file object after its `name`; bare bytes need a name of their own.
    return ("upload", value) if isinstance(value, bytes) else value


def build(op: Operation, arguments: Mapping[str, Any]) -> RequestParts:
    """The request of one call; arguments left at OMIT are not sent."""
    parts = RequestParts(op["method"], op["path"])
    attributes: dict[str, Any] = {}
    meta: Any = None
    form: dict[str, str] = {}
    files: dict[str, Any] = {}
    for name, value in arguments.items():
        if isinstance(value, Omit):
            continue
        where, wire = op["inputs"][name]
        if where == "path":
            parts.path = parts.path.replace("{" + wire + "}", quote(to_text(value), safe=""))
        elif where == "query":
            values = value if isinstance(value, (list, tuple)) else [value]
            parts.params += [(wire, to_text(v)) for v in values]
        elif where == "header":
            parts.headers[wire] = to_text(value)
        elif where == "attribute":
            attributes[wire] = to_json(value)
        elif where == "meta":
            meta = to_json(value)
        elif where == "form" and (isinstance(value, (bytes, tuple)) or hasattr(value, "read")):
            files[wire] = _file(value)
        elif where == "form":
            form[wire] = to_text(value)
        else:
            parts.json = to_json(value)
    if op["body"] == "jsonapi":
        data: dict[str, Any] = {"attributes": attributes}
        if op["resource_type"] is not None:
            data = {"type": op["resource_type"], **data}
        parts.json = {"data": data} if meta is None else {"data": data, "meta": meta}
    elif op["body"] in ("multipart", "form"):
        parts.data, parts.files = form, (files or None)
    return parts


def body_of(response: httpx.Response) -> Any:
    if not response.content:
        return None
    if "json" not in response.headers.get("content-type", ""):
        return response.text
    try:
        return response.json()
    except ValueError as e:
        raise KlearKarmaError(f"{response.status_code}: the answer is not valid JSON") from e


def check(response: httpx.Response, *, oauth: bool = False) -> Any:
    """The parsed body of a 2xx answer; any other raises its typed APIError."""
    body = body_of(response)
    if response.is_success:
        return body
    raise error_for(response, body, oauth=oauth)


def unwrap(op: Operation, body: Any) -> Any:
    """What the caller gets: `data` of a JSON:API document, else the whole body."""
    if op["result"] == "none":
        return None
    if op["result"] in ("resource", "page", "data") and isinstance(body, Mapping):
        return body.get("data")
    return body
