"""Answers straight from the spec: examples, generated values, and the `Prefer` controls.

`Prefer` is Prism-compatible: `code=404` picks a declared status, `example=name` a named
example, `dynamic=true` a value generated from the schema for this very request (the same
request gives the same bytes), `dynamic=false` the static example; `delay=250` waits 250 ms
(at most 10 s) first. An undeclared code or an unknown example is a 400 naming what exists.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kkcore.errors import (
    ApiError,
    BadRequest,
    Conflict,
    InternalError,
    NotFound,
    PaymentRequired,
    Problem,
    ServiceUnavailable,
    Unprocessable,
)
from kkcore.types import ApiTable, OperationSpec
from mocks.fake import FakeData, GenerationError
from mocks.shapes import Shape, shape_of
from server.problems import now_iso
from server.responses import Reply
from server.schemas import directional
from server.validation import CompiledSchema

MAX_DELAY_MS = 10_000
BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    402: PaymentRequired,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    500: InternalError,
    503: ServiceUnavailable,
}
_made: dict[tuple[int, str], type[ApiError]] = {}


@dataclass(frozen=True)
class Prefer:
    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None
    delay_ms: int = 0

    @property
    def forces(self) -> bool:
        """Whether the answer comes from the spec instead of the store."""
        return self.code is not None or self.example is not None or self.dynamic is not None


NO_PREFERENCE = Prefer()


def parse_prefer(header: str | None) -> Prefer:
    if not header:
        return NO_PREFERENCE
    values: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            values[key.strip().lower()] = value.strip().strip('"')
    code = values.get("code")
    delay = values.get("delay")
    dynamic = values.get("dynamic")
    problems = []
    if code is not None and not code.isdigit():
        problems.append(
            Problem(f"Prefer code must be a status code, got {code!r}", parameter="Prefer")
        )
    if delay is not None and not delay.isdigit():
        problems.append(
            Problem(f"Prefer delay is in milliseconds, got {delay!r}", parameter="Prefer")
        )
    if dynamic is not None and dynamic not in ("true", "false"):
        problems.append(
            Problem(f"Prefer dynamic is true or false, got {dynamic!r}", parameter="Prefer")
        )
    if problems:
        raise BadRequest(problems=problems)
    return Prefer(
        code=int(code) if code else None,
        example=values.get("example"),
        dynamic=None if dynamic is None else dynamic == "true",
        delay_ms=min(int(delay), MAX_DELAY_MS) if delay else 0,
    )


def error_class(status: int, code: str) -> type[ApiError]:
    """An ApiError class answering `status` (the built-in one, or one made once)."""
    found = BY_STATUS.get(status)
    if found is not None:
        return found
    made = _made.get((status, code))
    if made is None:
        title = code.replace("_", " ").title()
        made = _made[(status, code)] = type(
            f"Mock{status}", (ApiError,), {"status": status, "code": code, "title": title}
        )
    return made


def problem_error(
    status: int,
    code: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ApiError:
    cls = error_class(status, code)
    title = code.replace("_", " ").title() if code != cls.code else None
    return cls(
        problems=[
            Problem(
                detail,
                pointer=pointer,
                parameter=parameter,
                meta=meta or {},
                code=code,
                title=title,
            )
        ]
    )


def refresh_error_meta(body: Any, request_id: str) -> Any:
    """An error example's `meta.request_id`/`timestamp` made this request's."""
    if isinstance(body, dict) and isinstance(body.get("meta"), dict) and "errors" in body:
        body = copy.deepcopy(body)
        meta = body["meta"]
        if "request_id" in meta:
            meta["request_id"] = request_id
        if "timestamp" in meta:
            meta["timestamp"] = now_iso()[:19] + "Z"
    return body


@dataclass
class Media:
    status: int
    media_type: str
    schema: dict[str, Any] | None
    examples: dict[str, Any]
    shape: Shape


class SpecAnswers:
    """Every declared answer of one operation, prepared at startup."""

    def __init__(self, spec: OperationSpec, table: ApiTable, fake: FakeData) -> None:
        self.spec = spec
        self.fake = fake
        self.op_id = spec["operation_id"]
        self.media: dict[int, Media] = {}
        defs = self.defs = table["defs"]
        for code, response in spec["responses"].items():
            if not code.isdigit():
                continue
            content: dict[str, Any] = dict(response["content"])
            empty: dict[str, Any] = {}
            media_type, media = next(iter(content.items()), ("application/json", empty))
            raw = media.get("schema")
            schema = directional(raw, defs, "response") if raw else None
            self.media[int(code)] = Media(
                int(code),
                media_type,
                schema,
                dict(media.get("examples") or {}),
                shape_of(raw, defs) if raw else Shape("other"),
            )
        # An operation that declares no 2xx (only errors) answers its first declared status.
        self.success = min((c for c in self.media if 200 <= c < 300), default=None) or min(
            self.media, default=None
        )
        self._static: Reply | None = None
        self._dynamic: dict[str, Any] = {}
        self._validators: dict[int, CompiledSchema] = {}
        self._fit_checks: dict[int, CompiledSchema] = {}

    def declared(self) -> str:
        return ", ".join(str(c) for c in sorted(self.media)) or "none"

    def media_for(self, status: int | None) -> Media:
        code = status if status is not None else self.success
        if code is None or code not in self.media:
            raise BadRequest(
                problems=[
                    Problem(
                        f"{self.op_id} does not declare status {code}; declared: {self.declared()}",
                        parameter="Prefer",
                        meta={"declared": sorted(self.media)},
                    )
                ]
            )
        return self.media[code]

    def static(self) -> Reply:
        """The success answer without a store: first example, else generated once."""
        if self._static is None:
            if self.success is None:
                self._static = Reply(204)
            else:
                media = self.media[self.success]
                value = self._value(media, None, f"{self.op_id}:{media.status}", None)
                body = value if isinstance(value, bytes) else _encode(value, media.media_type)
                self._static = Reply(media.status, body, media_type=media.media_type)
        return self._static

    def fits(self, reply: Reply) -> bool:
        """Whether a store answer is valid against its documented schema (serialized answers
        were checked when made). The store's shapes (links, pages) follow Klear Karma's
        conventions; another spec's schema may want others, and then gets its example."""
        media = self.media.get(reply.status)
        if isinstance(reply.body, bytes) or media is None or media.schema is None:
            return True
        if media.media_type != reply.media_type:
            return True
        check = self._fit_checks.get(reply.status)
        if check is None:
            check = self._fit_checks[reply.status] = CompiledSchema(media.schema)
        return check.is_valid(reply.body)

    def _fitting_example(self, media: Media) -> str | None:
        """The first example valid against the schema: a spec's example may not be (a JSON
        text given as a string); then the answer is generated instead."""
        if media.schema is None or not media.media_type.endswith("json"):
            return next(iter(media.examples))
        check = self._fit_checks.get(media.status)
        if check is None:
            check = self._fit_checks[media.status] = CompiledSchema(media.schema)
        return next((n for n, v in media.examples.items() if check.is_valid(v)), None)

    def example(self, status: int | None, name: str, request_id: str) -> Reply:
        media = self.media_for(status)
        if name not in media.examples:
            listed = ", ".join(media.examples) or "none"
            raise BadRequest(
                problems=[
                    Problem(
                        f"{self.op_id} has no example {name!r} for status {media.status}; "
                        f"examples: {listed}",
                        parameter="Prefer",
                        meta={"examples": list(media.examples)},
                    )
                ]
            )
        value = refresh_error_meta(media.examples[name], request_id)
        return Reply(media.status, value, media_type=media.media_type)

    def forced(
        self, prefer: Prefer, params: Mapping[str, Any], body: Any, size: int | None, rid: str
    ) -> Reply:
        """The answer `Prefer` asks for."""
        if prefer.example is not None:
            return self.example(prefer.code, prefer.example, rid)
        media = self.media_for(prefer.code)
        if prefer.dynamic is False or (prefer.dynamic is None and media.examples):
            if prefer.code is None:
                return self.static()
            value = self._value(media, None, f"{self.op_id}:{media.status}", None)
            return Reply(media.status, refresh_error_meta(value, rid), media_type=media.media_type)
        key = f"{self.op_id}:{media.status}:dynamic:{request_key(params, body)}:{size}"
        known = self._dynamic.get(key)
        if known is not None:  # the same request always gets the same value: generated once
            if not isinstance(known, bytes):
                known = self._dynamic[key] = _encode(known, media.media_type)
            return Reply(media.status, known, media_type=media.media_type)
        value = self._value(media, None, key, size, generate=True)
        if len(self._dynamic) >= 256:
            self._dynamic.clear()
        self._dynamic[key] = value
        return Reply(media.status, value, media_type=media.media_type)

    def _value(
        self, media: Media, name: str | None, key: str, size: int | None, generate: bool = False
    ) -> Any:
        if not generate and media.examples:
            if name is not None:
                return copy.deepcopy(media.examples[name])
            fitting = self._fitting_example(media)
            if fitting is not None:
                return copy.deepcopy(media.examples[fitting])
        if media.schema is None:
            return None
        try:
            return self.fake.instance(media.schema, key=key, size=size)
        except GenerationError as e:
            raise InternalError(f"no value could be generated for {self.op_id}: {e}") from e

    def error_body(self, key: str, status: int, error: ApiError, request_id: str) -> Reply | None:
        """A body for the documented error response `key` (`404`, `4XX`, `default`) that fits its
        schema: RFC 9457 problem details or a JSON:API error document if one does, else its
        first example, else a generated one with title/status/detail filled."""
        media = self._error_media(key, status)
        if media is None or media.schema is None:
            return None
        from server.documented import problem_document

        check = self._validators.get(status)
        if check is None:
            check = self._validators[status] = CompiledSchema(media.schema)
        # The richest document the spec's schema takes: RFC 9457, or a JSON:API error document.
        from server.problems import error_document

        jsonapi = error_document(error, request_id)
        del jsonapi["meta"]["documentation_url"]  # the engine's docs are no page of this spec
        for document in (problem_document(error, status), jsonapi):
            if check.is_valid(document):
                return Reply(status, document, media_type=media.media_type)
        if media.examples:
            value = refresh_error_meta(next(iter(media.examples.values())), request_id)
            return Reply(status, value, media_type=media.media_type)
        value = self._value(media, None, f"{self.op_id}:{key}:error", None, generate=True)
        if isinstance(value, dict):
            filled = dict(value)
            detail = error.problems[0].detail
            for name, text in {"title": error.title, "detail": detail, "message": detail}.items():
                if isinstance(filled.get(name), str):
                    filled[name] = text
            if isinstance(filled.get("status"), int):
                filled["status"] = status
            if check.is_valid(filled):
                value = filled
        return Reply(status, value, media_type=media.media_type)

    def _error_media(self, key: str, status: int) -> Media | None:
        if key.isdigit():
            return self.media.get(int(key))
        response = self.spec["responses"].get(key)
        if response is None or not response["content"]:
            return None
        media_type, media = next(iter(response["content"].items()))
        raw = media.get("schema")
        schema = directional(raw, self.defs, "response") if raw else None
        shape = shape_of(raw, self.defs) if raw else Shape("other")
        return Media(status, media_type, schema, dict(media.get("examples") or {}), shape)


def _encode(value: Any, media_type: str) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str) and not media_type.endswith("json"):
        return value.encode()
    return orjson.dumps(value)


def request_key(params: Mapping[str, Any], body: Any) -> str:
    """A stable digest of what a request asked (parameters and body)."""
    raw = orjson.dumps(
        {"p": {k: v for k, v in params.items() if k.lower() != "x-request-id"}, "b": body},
        option=orjson.OPT_SORT_KEYS,
        default=repr,
    )
    return hashlib.sha256(raw).hexdigest()[:24]
