"""Read, parse and validate request bodies (JSON, form, multipart).

Rule: a body that cannot be parsed (malformed JSON, invalid UTF-8, broken multipart) is 400;
a well-formed body that breaks its schema is 422; an undeclared content type is 415; a body
over the limit is 413.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import Headers

from kkcore.errors import BadRequest, PayloadTooLarge, Problem, Unprocessable, UnsupportedMediaType
from kkcore.types import MediaSpec, Receive, RequestBodySpec
from server.jsondepth import MAX_DEPTH, too_deep
from server.parameters import CoercionError, effective_type, item_schema, scalar
from server.schemas import directional
from server.uploads import UploadedFile, media_type_of, parse_multipart
from server.validation import CompiledSchema

__all__ = ["BodyParser", "UploadedFile", "is_json", "media_type_of", "read_body", "refuse_nul"]

JSON_LIMIT = 1 << 20
# a 10 MiB file and room for its part headers and some text fields beside it
MULTIPART_LIMIT = (10 << 20) + (64 << 10)


async def read_body(receive: Receive, limit: int, first: bytes = b"", more: bool = True) -> bytes:
    """The whole body (at most `limit` bytes; 413 past it), after `first` if read already."""
    chunks: list[bytes] = [first]
    size = len(first)
    if size > limit:
        raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes")
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


async def first_chunk(receive: Receive) -> tuple[bytes, bool]:
    """The body's first chunk and whether more follows."""
    message = await receive()
    if message["type"] == "http.disconnect":
        return b"", False
    return message.get("body", b""), bool(message.get("more_body", False))


def _nul_pointers(value: Any, pointer: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if "\x00" in value:
            yield pointer
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key).replace("~", "~0").replace("/", "~1")
            if "\x00" in str(key):
                yield pointer + "/" + name
            yield from _nul_pointers(item, pointer + "/" + name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_pointers(item, f"{pointer}/{i}")


def refuse_nul(value: Any) -> None:
    """Text with U+0000 is refused (400): PostgreSQL cannot store it in text, so every backend
    and mode refuse it alike instead of a 500 on one of them."""
    problems = [
        Problem("Text may not contain the NUL character (U+0000)", pointer=p)
        for p in _nul_pointers(value)
    ]
    if problems:
        raise BadRequest(problems=problems)


UNCHECKED = object()  # a body no schema applies to


def _structured(raw: str) -> Any:
    """An object or array form field: JSON, as multipart sends it (OpenAPI's default
    `contentType` for such parts), else the text as sent."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw


def is_json(media_type: str) -> bool:
    return media_type in ("application/json", "*/*") or media_type.endswith("+json")


def _matches(declared: str, actual: str) -> bool:
    if declared in ("*/*", actual):
        return True
    if declared.endswith("/*"):
        return actual.startswith(declared[:-1])
    return (
        declared == "application/json"
        and actual.startswith("application/")
        and actual.endswith("+json")
    )


class _Media:
    __slots__ = ("media_type", "validator", "schema", "coercers", "arrays", "file_types")

    def __init__(self, media_type: str, spec: MediaSpec, defs: dict[str, Any]) -> None:
        self.media_type = media_type
        self.schema = spec.get("schema") or {}
        self.validator = (
            CompiledSchema(directional(self.schema, defs, "request")) if self.schema else None
        )
        props = self.schema.get("properties") or {}
        self.coercers = {
            k: _structured if kind in ("object", "array") else scalar(kind)
            for k, v in props.items()
            for kind in [effective_type(v, defs)]
        }
        # Array fields arrive as one part (or key) per item (OpenAPI's form encoding): each
        # item is coerced by its own type and the repeated values gather into one list.
        self.arrays = {
            k: _structured if kind in ("object", "array") else scalar(kind)
            for k, v in props.items()
            if self.coercers[k] is _structured and effective_type(v, defs) == "array"
            for kind in [effective_type(item_schema(v, defs), defs)]
        }
        self.file_types = {
            name: [
                media_type_of(t) for t in str(enc.get("contentType", "")).split(",") if t.strip()
            ]
            for name, enc in (spec.get("encoding") or {}).items()
        }


class BodyParser:
    """Built once per operation that declares a request body."""

    __slots__ = ("required", "media", "limit", "declared", "nul")

    def __init__(
        self,
        spec: RequestBodySpec,
        defs: dict[str, Any],
        limit: int | None = None,
        *,
        refuse_nul: bool = True,
    ) -> None:
        # Whether text with U+0000 is refused: the spec's own choice (`x-refuse-nul`).
        self.nul = refuse_nul
        self.required = spec["required"]
        self.media = [_Media(mt, m, defs) for mt, m in spec["content"].items()]
        self.declared = ", ".join(m.media_type for m in self.media)
        multipart = any(m.media_type.startswith("multipart/") for m in self.media)
        self.limit = limit or (MULTIPART_LIMIT if multipart else JSON_LIMIT)

    def _select(self, content_type: str | None) -> _Media:
        actual = media_type_of(content_type or "")
        for m in self.media:
            if _matches(m.media_type, actual):
                return m
        got = f"{actual!r}" if actual else "no Content-Type"
        raise UnsupportedMediaType(f"Expected a body of type {self.declared}, got {got}")

    async def parse(self, receive: Receive, headers: Headers) -> Any:
        media, value, checked = await self.read(receive, headers)
        self.check(media, checked)
        return value

    async def read(self, receive: Receive, headers: Headers) -> tuple[_Media | None, Any, Any]:
        """Read and decode the body, unvalidated: (media, value, what to validate).

        Kept apart from `check` so an error renderer can still see what was sent (an OAuth
        authorization form that breaks its schema is answered by redirecting to the client).
        """
        declared_length = headers.get("content-length")
        if declared_length and declared_length.isdigit() and int(declared_length) > self.limit:
            raise PayloadTooLarge(f"The request body exceeds the limit of {self.limit} bytes")
        first, more = await first_chunk(receive)
        if not first and not more:
            if self.required:
                raise Unprocessable(problems=[Problem("A request body is required", pointer="")])
            return None, None, None
        media = self._select(headers.get("content-type"))
        kind = media.media_type
        if kind.startswith("multipart/"):
            # streamed: files spool to disk as they arrive (server.uploads)
            fields, files = await parse_multipart(receive, headers, first, more, self.limit)
            value, validated = self._multipart(media, fields, files)
            return media, value, validated
        raw = await read_body(receive, self.limit, first, more)
        if not raw:
            if self.required:
                raise Unprocessable(problems=[Problem("A request body is required", pointer="")])
            return None, None, None
        if kind == "application/x-www-form-urlencoded":
            value = validated = self._form(media, raw)
        elif is_json(media_type_of(headers.get("content-type") or kind)):
            value = validated = self._json(raw)
        else:
            # XML, text, binary...: passed on as sent; JSON Schema has nothing to say about it
            return media, raw, UNCHECKED
        return media, value, validated

    @staticmethod
    def check(media: _Media | None, validated: Any) -> None:
        if (
            media is not None
            and validated is not UNCHECKED
            and media.validator is not None
            and not media.validator.is_valid(validated)
        ):
            raise Unprocessable(problems=media.validator.problems(validated))

    def _json(self, raw: bytes) -> Any:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadRequest(f"The request body is not valid UTF-8 (byte {e.start})") from e
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise BadRequest(f"The request body is not valid JSON: {e}") from e
        if too_deep(raw, value):
            raise BadRequest(f"The request body nests deeper than {MAX_DEPTH} levels")
        if self.nul and b"\\u0000" in raw:  # JSON carries U+0000 only escaped; walk only then
            refuse_nul(value)
        return value

    @staticmethod
    def _coerce(media: _Media, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        problems: list[Problem] = []
        items: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in media.arrays:
                items.setdefault(key, []).append(value)
                continue
            try:
                out[key] = media.coercers.get(key, str)(value)
            except CoercionError as e:
                problems.append(Problem(f"Field {key!r} {e}", pointer="/" + key))
        for key, values in items.items():
            whole = _structured(values[0]) if len(values) == 1 else None
            if isinstance(whole, list):  # the whole array as one JSON part, as before
                out[key] = whole
                continue
            try:
                out[key] = [media.arrays[key](v) for v in values]
            except CoercionError as e:
                problems.append(Problem(f"Field {key!r} item {e}", pointer="/" + key))
        if problems:
            raise Unprocessable(problems=problems)
        return out

    def _form(self, media: _Media, raw: bytes) -> dict[str, Any]:
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as e:
            raise BadRequest("The form body is not valid URL-encoded UTF-8") from e
        if self.nul:
            refuse_nul(dict(pairs))
        return self._coerce(media, pairs)

    def _multipart(
        self, media: _Media, fields: list[tuple[str, str]], files: dict[str, UploadedFile]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            for name, upload in files.items():
                allowed = media.file_types.get(name) or []
                if allowed and not any(_matches(t, upload.content_type) for t in allowed):
                    raise UnsupportedMediaType(
                        f"File part {name!r} has type {upload.content_type!r}; "
                        f"allowed: {', '.join(allowed)}"
                    )
            if self.nul:
                refuse_nul(dict(fields))
            value = self._coerce(media, fields)
        except BaseException:
            for upload in files.values():
                upload.close()
            raise
        validated = {**value, **{k: "" for k in files}}
        return {**value, **files}, validated
